"""The launcher (`entrypoints/serve.py`): both servers get the same settings, the listen
backlog explicitly, and a backlog above the kernel's cap is warned about (spec/performance.md,
"Servers and the listen backlog")."""

import pytest

from src.platform.runtime import listen_backlog_cap
from src.service.ticketing.entrypoints.serve import (
    backlog_warning,
    granian_options,
    uvicorn_options,
)
from src.service.ticketing.settings import ServerSettings


def test_the_defaults_are_uvicorn_with_a_backlog_of_4096_and_a_5_s_keep_alive():
    settings = ServerSettings()
    assert (settings.server, settings.backlog, settings.keep_alive_s) == ("uvicorn", 4096, 5)
    assert settings.trusted_proxies == ["127.0.0.1"]


def test_uvicorn_gets_every_setting():
    settings = ServerSettings(workers=3, host="0.0.0.0", port=9001, backlog=512,
                              keep_alive_s=7, forwarded_allow_ips="10.0.0.1, 10.0.0.2")
    options = uvicorn_options(settings)
    assert {k: options[k] for k in ("workers", "host", "port", "backlog", "timeout_keep_alive",
                                    "loop", "http", "access_log", "proxy_headers",
                                    "forwarded_allow_ips", "lifespan", "factory")} == {
        "workers": 3, "host": "0.0.0.0", "port": 9001, "backlog": 512,
        "timeout_keep_alive": 7, "loop": "uvloop", "http": "httptools", "access_log": False,
        "proxy_headers": True, "forwarded_allow_ips": ["10.0.0.1", "10.0.0.2"],
        "lifespan": "on", "factory": True}


def test_granian_gets_every_setting():
    settings = ServerSettings(server="granian", workers=3, host="0.0.0.0", port=9001,
                              backlog=512, keep_alive_s=7)
    options = granian_options(settings)
    assert {k: str(options[k]) for k in ("workers", "address", "port", "backlog", "interface",
                                         "loop", "http", "websockets", "log_access",
                                         "respawn_failed_workers", "factory")} == {
        "workers": "3", "address": "0.0.0.0", "port": "9001", "backlog": "512",
        "interface": "asgi", "loop": "uvloop", "http": "1", "websockets": "False",
        "log_access": "False", "respawn_failed_workers": "True", "factory": "True"}
    assert options["http1_settings"].header_read_timeout == 7000


@pytest.mark.parametrize("name", ["TICKETING_SERVER", "TICKETING_BACKLOG"])
def test_the_server_settings_refuse_nonsense(monkeypatch, name):
    monkeypatch.setenv(name, "nginx" if name.endswith("SERVER") else "0")
    with pytest.raises(ValueError, match=name.removeprefix("TICKETING_").lower()):
        ServerSettings()


def test_a_backlog_above_somaxconn_is_warned_about_and_one_within_it_is_not():
    warning = backlog_warning(4096, 1024)
    assert warning is not None and "somaxconn=1024" in warning and "backlog=4096" in warning
    assert backlog_warning(4096, 4096) is None
    assert backlog_warning(4096, None) is None


def test_somaxconn_is_read_and_an_unreadable_one_is_unknown(tmp_path):
    cap = tmp_path / "somaxconn"
    cap.write_text("4096\n")
    assert listen_backlog_cap(cap) == 4096
    assert listen_backlog_cap(tmp_path / "missing") is None
    cap.write_text("not a number")
    assert listen_backlog_cap(cap) is None
