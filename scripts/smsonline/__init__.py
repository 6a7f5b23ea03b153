"""The layers under scripts/smsonline_receive_sms.py: output, config, http (+ fallback), answers (normalisation),
ledger, names, signals. The script itself holds the flows and the command line."""
