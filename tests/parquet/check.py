"""Reads chokepoint's Parquet outputs with DuckDB and checks them against the CSV files of the
same run (issue 20): for every NAME.csv of CSV_DIR, PARQUET_DIR holds NAME.parquet (and no
NAME.csv) with the same columns in the same order, typed (BIGINT, DOUBLE, BOOLEAN, VARCHAR or
DATE; `date` columns DATE), and the same value in every cell: an empty CSV cell is NULL, a
number is the same double, a date the same day. The CSV is read with Python's csv module, not
DuckDB, so that the two readings are independent.

    python check.py CSV_DIR PARQUET_DIR [CSV_DIR PARQUET_DIR ...]

Exit 0 with a summary line when every pair agrees, 1 listing the first differences otherwise.
Run by crates/chokepoint-cli/tests/cli/issue20_parquet.rs with the venv .ci/run creates.
"""

import csv
import math
import sys
from pathlib import Path

import duckdb

TYPES = {"BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR", "DATE"}


def same(kind, cell, value):
    if value is None:
        return cell == ""
    if cell == "":
        return False
    if kind == "DOUBLE":
        x = float(cell)
        return x == value or (math.isnan(x) and math.isnan(value))
    if kind == "BIGINT":
        return int(cell) == value
    if kind == "BOOLEAN":
        return cell == ("true" if value else "false")
    if kind == "DATE":
        return value.isoformat() == cell
    return cell == value


def check_pair(con, csv_dir, pq_dir, problems):
    files = sorted(p.name for p in csv_dir.glob("*.csv"))
    if not files:
        problems.append(f"{csv_dir}: no CSV files")
    cells = rows_total = 0
    for name in files:
        stem = name[: -len(".csv")]
        pq = pq_dir / f"{stem}.parquet"
        if not pq.is_file():
            problems.append(f"{pq}: missing")
            continue
        if (pq_dir / name).exists():
            problems.append(f"{pq_dir / name}: a CSV file beside its Parquet twin")
        with open(csv_dir / name, newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
        header, body = table[0], table[1:]
        described = con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
            [str(pq)],
        ).fetchall()
        names = [c[0] for c in described]
        kinds = [c[1] for c in described]
        if names != header:
            problems.append(f"{pq}: columns {names}, the CSV has {header}")
            continue
        for col, kind in zip(names, kinds):
            if kind not in TYPES:
                problems.append(f"{pq}: column {col} is {kind}")
            if col == "date" and kind != "DATE":
                problems.append(f"{pq}: column date is {kind}, not DATE")
        values = con.execute("SELECT * FROM read_parquet(?)", [str(pq)]).fetchall()
        if len(values) != len(body):
            problems.append(f"{pq}: {len(values)} rows, the CSV has {len(body)}")
            continue
        for i, (row, got) in enumerate(zip(body, values)):
            for j, kind in enumerate(kinds):
                if not same(kind, row[j], got[j]):
                    problems.append(
                        f"{pq}: row {i + 1} column {names[j]}: Parquet {got[j]!r}, CSV {row[j]!r}"
                    )
                    if len(problems) > 20:
                        return cells, rows_total
                cells += 1
        rows_total += len(body)
    return cells, rows_total


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    con = duckdb.connect()
    # One thread: rows come back in file order.
    con.execute("SET threads = 1")
    problems = []
    cells = rows = 0
    for k in range(0, len(argv), 2):
        c, r = check_pair(con, Path(argv[k]), Path(argv[k + 1]), problems)
        cells += c
        rows += r
    if problems:
        for p in problems[:20]:
            print(f"parquet-check: {p}", file=sys.stderr)
        print(f"parquet-check: error: {len(problems)} differences", file=sys.stderr)
        return 1
    print(
        f"parquet-check: ok: duckdb {duckdb.__version__} read {rows} rows, {cells} cells, "
        "equal to the CSV"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
