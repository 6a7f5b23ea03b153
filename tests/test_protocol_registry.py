"""One registry of protocols (platform.REGISTRY), read by every layer: which URL speaks which protocol, the base-URL
check, each module's declaration, the sandbox's protocols, and a registry that imports no protocol module."""
import subprocess
import sys
from pathlib import Path

import pytest

from support import config, output
from smsonline import platform  # noqa: E402  (support sets the path)
import smsonline_sandbox

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.mark.parametrize("url, name, base", [
    ("https://premium.smsonline.cloud/api/v1", "smsonline-v1", "https://premium.smsonline.cloud/api/v1"),
    ("https://grizzlysms.com/stubs/handler_api.php", "sms-activate", "https://grizzlysms.com/stubs/handler_api.php"),
    ("https://h.example/stubs/handler_api.php/", "sms-activate", "https://h.example/stubs/handler_api.php/"),
    ("https://5sim.net/v1", "5sim", "https://5sim.net/v1"),
    ("https://API.5SIM.NET/v1", "5sim", "https://API.5SIM.NET/v1"),
    ("https://not5sim.net/v1", "smsonline-v1", "https://not5sim.net/v1"),
    ("https://5sim.net.evil.example/v1", "smsonline-v1", "https://5sim.net.evil.example/v1"),
    ("5sim+http://127.0.0.1:8765/v1", "5sim", "http://127.0.0.1:8765/v1"),
    ("5SIM+https://mirror.example/v1", "5sim", "https://mirror.example/v1"),
    ("sms-activate+https://h.example/api", "sms-activate", "https://h.example/api"),
    ("smsonline+https://5sim.net/v1", "smsonline-v1", "https://5sim.net/v1"),
])
def test_a_prefix_forces_a_protocol_else_the_host_or_path_claims_it(url, name, base):
    assert platform.protocol_of(url) == (name, base)


@pytest.mark.parametrize("entry", platform.REGISTRY, ids=lambda entry: entry.name)
def test_every_registered_prefix_is_a_valid_base_url_with_its_own_key_variable(entry):
    url = f"{entry.prefix}http://127.0.0.1:8765/x"
    assert config.clean_base_url(url) == url
    assert config.site_key_variable(url) == "SMSONLINE_API_KEY_127_0_0_1"


def test_an_unregistered_prefix_is_a_config_error():
    with pytest.raises(output.Failure) as caught:
        config.clean_base_url("6sim+http://127.0.0.1:8765/v1")
    assert caught.value.kind == "config" and "5sim+" in caught.value.message


@pytest.mark.parametrize("entry", platform.REGISTRY, ids=lambda entry: entry.name)
def test_every_module_declares_itself_under_its_registry_line(entry):
    protocol = platform.module_for(entry.name).PROTOCOL
    assert (protocol.name, protocol.prefix, protocol.module) == (entry.name, entry.prefix, entry.module)
    assert bool(protocol.key_param) != bool(protocol.key_header)  # the key travels one way
    assert platform.declared(entry.name) is protocol


def test_the_default_speaks_for_every_url_nobody_claims():
    assert platform.DEFAULT is platform.REGISTRY[-1] and not (platform.DEFAULT.host or platform.DEFAULT.path_end)


def test_the_sandbox_speaks_every_registered_protocol_under_its_name():
    assert set(smsonline_sandbox.PROTOCOLS) == {entry.name for entry in platform.REGISTRY}
    for name, make in smsonline_sandbox.PROTOCOLS.items():
        assert make({"shape": "primary", "countries_form": "map"}).name == name


def test_a_declaration_needs_exactly_one_key_transport():
    with pytest.raises(ValueError):
        platform.declare("smsonline.fivesim", operations=(), test_mode=False)


def test_the_registry_and_the_configuration_import_no_protocol_module():
    code = ("import sys; import smsonline.config, smsonline.platform as p; p.protocol_of('https://5sim.net/v1'); "
            "print(sorted(m for m in sys.modules if m.startswith('smsonline.')))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "['smsonline.config', 'smsonline.output', 'smsonline.platform']"
