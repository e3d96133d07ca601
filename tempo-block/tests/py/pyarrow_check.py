"""Opens a data.parquet written by tempo-block with pyarrow and prints what it sees as JSON.

Usage: python3 pyarrow_check.py DATA_PARQUET
The Rust test (tests/pyarrow.rs) compares the output with what it wrote.
"""
import json
import sys

import pyarrow.parquet as pq

path = sys.argv[1]
f = pq.ParquetFile(path)
md = f.metadata
table = f.read()  # decodes every column of every row group
rows = table.to_pylist()
first_rg = md.row_group(0)
columns = []
for j in range(first_rg.num_columns):
    c = first_rg.column(j)
    columns.append({
        "path": c.path_in_schema,
        "compression": c.compression,
        "encodings": sorted(c.encodings),
        "has_dictionary_page": c.has_dictionary_page,
        "has_column_index": c.has_column_index,
        "has_offset_index": c.has_offset_index,
        "has_min_max": bool(c.is_stats_set and c.statistics.has_min_max),
    })
out = {
    "num_rows": md.num_rows,
    "num_row_groups": md.num_row_groups,
    "trace_ids": [r["TraceID"].hex() for r in rows],
    "span_counts": [sum(len(ss["Spans"]) for rs in r["rs"] for ss in rs["ss"]) for r in rows],
    "root_service_names": [r["RootServiceName"] for r in rows],
    "columns": columns,
}
json.dump(out, sys.stdout)
