"""The raw data contract, read from the dbt sources YAML (the single place it is declared)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGING_DIR = REPO_ROOT / "models" / "staging"


@dataclass(frozen=True)
class RawTable:
    source: str
    table: str
    columns: dict[str, str]  # column name -> contract type (varchar, double, bigint, boolean)
    # Columns a file may leave out (read as nulls): a table's config.meta.optional_columns in the YAML.
    optional: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return f"{self.source}/{self.table}"

    @property
    def required(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional]

    def is_temporal(self, column: str) -> bool:
        """A timestamp or date column (named *_at or *_date by the contract's convention): it may arrive as
        a string or as a native Parquet TIMESTAMP or DATE, since exports disagree."""
        return self.columns.get(column) == "varchar" and column.endswith(("_at", "_date"))


def load_contract(staging_dir: Path = STAGING_DIR) -> list[RawTable]:
    """Every raw table declared in models/staging/<source>/_<source>__sources.yml, in file order."""
    tables: list[RawTable] = []
    for path in sorted(staging_dir.glob("*/_*__sources.yml")):
        spec = yaml.safe_load(path.read_text())
        for source in spec.get("sources", []):
            for table in source.get("tables", []):
                columns = {c["name"]: c["data_type"].lower() for c in table.get("columns", [])}
                optional = frozenset(((table.get("config") or {}).get("meta") or {}).get("optional_columns") or [])
                unknown = sorted(optional - set(columns))
                if unknown:
                    raise ValueError(f"{path}: optional_columns of {source['name']}/{table['name']}"
                                     f" names columns the table does not have: {', '.join(unknown)}")
                tables.append(RawTable(source["name"], table["name"], columns, optional))
    return tables
