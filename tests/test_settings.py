import pytest

from moderation.errors import ConfigError
from moderation.settings import load_settings


def test_defaults_put_local_stores_under_home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.resolved_tracking_uri == f"sqlite:///{tmp_path / 'var' / 'mlflow.db'}"
    assert settings.resolved_queue_url == f"sqlite:///{tmp_path / 'var' / 'queue.db'}"
    assert (tmp_path / "var").is_dir()
    assert (settings.rules_dir / "fields.yaml").is_file()


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("MODERATION_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("MODERATION_QUEUE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    settings = load_settings()
    assert settings.home == tmp_path / "h"
    assert settings.resolved_queue_url.startswith("postgresql+psycopg://")


def test_bad_value_names_the_key_and_the_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODERATION_BATCH_SIZE", "lots")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "MODERATION_BATCH_SIZE" in str(err.value) and "'lots'" in str(err.value)
