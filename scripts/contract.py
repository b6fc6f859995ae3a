"""The raw data contract, read from the dbt sources YAML (the single place it is declared)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGING_DIR = REPO_ROOT / "models" / "staging"


@dataclass(frozen=True)
class RawTable:
    source: str
    table: str
    columns: dict[str, str]  # column name -> contract type (varchar, double, bigint, boolean)

    @property
    def name(self) -> str:
        return f"{self.source}/{self.table}"


def load_contract(staging_dir: Path = STAGING_DIR) -> list[RawTable]:
    """Every raw table declared in models/staging/<source>/_<source>__sources.yml, in file order."""
    tables: list[RawTable] = []
    for path in sorted(staging_dir.glob("*/_*__sources.yml")):
        spec = yaml.safe_load(path.read_text())
        for source in spec.get("sources", []):
            for table in source.get("tables", []):
                columns = {c["name"]: c["data_type"].lower() for c in table.get("columns", [])}
                tables.append(RawTable(source["name"], table["name"], columns))
    return tables
