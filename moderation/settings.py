"""Settings, read once at the edge (env prefix ``MODERATION_``, optional ``moderation.toml``).

Runners read a ``Settings`` and pass the values down; library code never reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from moderation.errors import ConfigError

__all__ = ["Settings", "load_settings", "PROJECT_ROOT"]

# The repository root (editable install): rule files and model specs are data that lives here.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Every knob of a run, with the embedded defaults (one machine, no set-up)."""

    model_config = SettingsConfigDict(
        env_prefix="MODERATION_", toml_file="moderation.toml", extra="forbid"
    )

    home: Path = Field(Path("var"), description="Where local stores live (MLflow, queue, runs).")
    rules_dir: Path = Field(PROJECT_ROOT / "rules", description="Rule files and named lists.")
    models_dir: Path = Field(PROJECT_ROOT / "models", description="Model specs (YAML).")
    tracking_uri: str | None = Field(None, description="MLflow tracking URI; default: SQLite under home.")
    model_name: str = Field("fraud", description="Registered MLflow model name.")
    queue_url: str | None = Field(None, description="Review-queue database URL; default: SQLite under home.")
    batch_size: int = Field(200_000, gt=0, description="Rows per scoring batch.")
    text_model_dir: Path | None = Field(
        None, description="Text-stage directory (`moderation text-model train`); unset = no text stage."
    )
    text_model_threads: int = Field(1, gt=0, description="Torch threads of the text stage per scoring thread.")

    @field_validator("home", "rules_dir", "models_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def artifact_location(self) -> str:
        return (self.home / "mlartifacts").resolve().as_uri()

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{(self.home / 'queue.db').resolve()}"

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        from pydantic_settings import TomlConfigSettingsSource

        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides) -> Settings:
    """Read settings; a bad value raises ConfigError naming the key and the value."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = "MODERATION_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{key}: {err['msg']}. Got {err.get('input')!r} instead.")
        raise ConfigError("Invalid settings:\n  " + "\n  ".join(problems)) from None
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings
