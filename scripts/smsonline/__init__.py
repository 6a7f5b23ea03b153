"""The layers under scripts/smsonline_receive_sms.py: output, config, platform, http (+ fallback), decoding (bytes
to text), shapes, coderule (what in an SMS is a code), the protocols (smsonline_v1 + smsonline_reader, sms_activate),
ledger, names, flows, commands, cli."""
