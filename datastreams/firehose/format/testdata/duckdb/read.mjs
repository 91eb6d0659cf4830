// Reads a Parquet file with DuckDB and prints, as JSON, its columns (name
// and DuckDB type) and its rows, values as DuckDB renders them as text.
// Usage: node read.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const quoted = "'" + file.replaceAll("'", "''") + "'";
const describe = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoted})`);
const columns = describe.getRowObjectsJS().map((r) => ({ name: r.column_name, type: r.column_type }));
const select = columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(', ');
const rows = await conn.runAndReadAll(`SELECT ${select} FROM read_parquet(${quoted})`);
process.stdout.write(JSON.stringify({ columns, rows: rows.getRowObjectsJS() }) + '\n');
