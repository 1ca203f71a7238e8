"""Runtime settings: where state lives, which area, which keys. Read from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AREA = "E07000110"  # Maidstone
DEMO_PSEUDONYM_KEY = "csp-demo-key-not-for-real-data"


class Settings(BaseModel):
    """Resolved configuration for one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path
    area: str = DEFAULT_AREA
    real_dir: Path = PROJECT_ROOT.parent / "shared" / "real"
    pseudonym_key: SecretStr | None = None
    demo_mode: bool = False
    # DuckDB's memory limit for a run's writer (CSP_MEMORY_LIMIT): beyond it DuckDB spills to a temp folder
    # beside the warehouse. 384MB keeps a national police.uk year's run near bare DuckDB's own peak
    # (benchmarks/README.md); raise it for a machine with much to spare, lower it for a small one.
    memory_limit: str = "384MB"

    @field_validator("memory_limit")
    @classmethod
    def _memory_limit(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.IGNORECASE):
            raise ValueError(f"CSP_MEMORY_LIMIT '{value}' is not a size such as 512MB or 2GB")
        return value.strip()

    @field_validator("area")
    @classmethod
    def _area_code(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"[EW]0[6-9]\d{6}", value):
            raise ValueError(f"CSP_AREA '{value}' is not a district code such as E07000110")
        return value

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def quarantine(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def reports(self) -> Path:
        return self.data_dir / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "csp.duckdb"

    @property
    def building_path(self) -> Path:
        return self.data_dir / "csp.duckdb.building"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / ".csp.lock"

    def effective_pseudonym_key(self) -> bytes | None:
        """The keyed-hash secret: configured key, else the public demo key in demo mode."""
        if self.pseudonym_key is not None and self.pseudonym_key.get_secret_value():
            return self.pseudonym_key.get_secret_value().encode()
        if self.demo_mode:
            return DEMO_PSEUDONYM_KEY.encode()
        return None

    def ensure_dirs(self) -> None:
        for path in (self.inbox, self.quarantine, self.reports):
            path.mkdir(parents=True, exist_ok=True)

    def describe(self) -> dict[str, str]:
        """Config safe to log and to store in audit (no secrets)."""
        return {
            "data_dir": str(self.data_dir),
            "area": self.area,
            "real_dir": str(self.real_dir),
            "pseudonym_key": "configured" if self.pseudonym_key else ("demo" if self.demo_mode else "none"),
            "demo_mode": str(self.demo_mode),
            "memory_limit": self.memory_limit,
        }


def load_settings(**overrides: object) -> Settings:
    """Settings from CSP_* environment variables, with explicit overrides winning."""
    env = os.environ
    values: dict[str, object] = {
        "data_dir": Path(env.get("CSP_DATA", "data")).resolve(),
        "area": env.get("CSP_AREA", DEFAULT_AREA),
        "demo_mode": env.get("CSP_DEMO", "").lower() in {"1", "true", "yes"},
    }
    if env.get("CSP_MEMORY_LIMIT"):
        values["memory_limit"] = env["CSP_MEMORY_LIMIT"]
    if env.get("CSP_REAL_DATA"):
        values["real_dir"] = Path(env["CSP_REAL_DATA"]).resolve()
    key = env.get("CSP_PSEUDONYM_KEY") or _prefect_secret("csp-pseudonym-key")
    if key:
        values["pseudonym_key"] = SecretStr(key)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(values)


def _prefect_secret(name: str) -> str | None:
    """Read a Prefect Secret block when a Prefect API is configured; never start a server for it."""
    if not os.environ.get("PREFECT_API_URL"):
        return None
    try:
        from prefect.blocks.system import Secret

        # Called from sync code, so async_dispatch returns the block itself, not a coroutine.
        secret = cast(Secret, Secret.load(name))
        # The key as stored: Secret.get() would JSON-decode a key that happens to look like a number.
        value = secret.value.get_secret_value()
        return value if isinstance(value, str) else None
    except Exception:  # noqa: BLE001 - an absent block simply means "no key configured"
        return None
