//! Parquet twins of the tabular outputs (the `parquet` feature, issue 20). A [`Writer`] takes
//! the CSV text of one [`Table`] as the program formats it, parses it as it streams (`csv-core`,
//! so a record may arrive in pieces), types each cell by the table's [`Kind`]s into Arrow
//! builders, and writes a record batch every [`BATCH_ROWS`] rows through parquet's
//! `ArrowWriter` into the underlying file (an [`AtomicFile`](crate::run_folder::AtomicFile),
//! so the Parquet file is written atomically and listed with its digest like a CSV file).
//! Because the values come from the CSV text, both formats hold the same values, the
//! zero-to-precision rule included, and a Parquet file is as deterministic as its CSV: its
//! bytes depend only on that text, the table and [`properties`] (which fix everything the
//! file records about the writer). [`to_csv`] turns a Parquet file back into the CSV text
//! (`report`, `merge` and `ario --from-run` read either format through it).

use crate::tabular::{Kind, Table};
use anyhow::{Context as _, Result, anyhow};
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringDictionaryBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::io::{self, Write};
use std::sync::Arc;

/// Rows per record batch handed to the Parquet writer: large enough that the per-batch cost
/// vanishes, small enough that a batch of the widest table stays a few MiB. Row groups are the
/// writer's (at most 2²⁰ rows), so the bytes do not depend on how the CSV text was chunked.
pub const BATCH_ROWS: usize = 1 << 16;

/// The writer's settings, the same for every file: zstd level 3, row groups of at most 2²⁰
/// rows whatever their size in bytes, and the default `created_by` (`parquet-rs version V`,
/// fixed for a build). Nothing the file records depends on the time or the machine.
pub fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("3 is a zstd level"),
        ))
        .set_max_row_group_row_count(Some(1 << 20))
        .set_max_row_group_bytes(None)
        .build()
}

fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Text => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        Kind::Date => DataType::Date32,
    }
}

/// One column's values so far.
enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Text(StringDictionaryBuilder<Int32Type>),
    Date(Date32Builder),
}

impl Builder {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Int => Builder::Int(Int64Builder::new()),
            Kind::Float => Builder::Float(Float64Builder::new()),
            Kind::Bool => Builder::Bool(BooleanBuilder::new()),
            Kind::Text => Builder::Text(StringDictionaryBuilder::new()),
            Kind::Date => Builder::Date(Date32Builder::new()),
        }
    }

    fn null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Float(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
        }
    }

    /// Appends the cell `s` (not empty); `Err` names what it should have been.
    fn push(&mut self, s: &str) -> Result<(), &'static str> {
        match self {
            Builder::Int(b) => b.append_value(s.parse().map_err(|_| "a whole number")?),
            Builder::Float(b) => b.append_value(s.parse().map_err(|_| "a number")?),
            Builder::Bool(b) => b.append_value(match s {
                "true" => true,
                "false" => false,
                _ => return Err("true or false"),
            }),
            Builder::Text(b) => {
                b.append(s).map_err(|_| "a string (too many distinct)")?;
            }
            Builder::Date(b) => b.append_value(days_from_date(s).ok_or("a date YYYY-MM-DD")?),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// `YYYY-MM-DD` as days since 1970-01-01 (the proleptic Gregorian calendar, as Date32).
pub fn days_from_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    jiff::civil::Date::new(y as i16, m as i8, d as i8).ok()?;
    // Days from civil (H. Hinnant): March-based years so that leap days end a year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
pub fn date_from_days(days: i32) -> String {
    let epoch = jiff::civil::Date::constant(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("day{days}"))
}

/// The Parquet twin of one tabular file, written as its CSV text arrives (see the module
/// documentation). [`Writer::finish`] writes the last rows and the footer.
pub struct Writer<W: Write + Send> {
    table: &'static Table,
    csv: csv_core::Reader,
    /// The current record's field bytes and field ends, as csv-core fills them.
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Known once the header row is read.
    columns: Option<Columns<W>>,
    /// The CSV line being read (1 = the header), for messages.
    line: u64,
    /// The first parse error: a `Write` error is reported once; later bytes are ignored.
    failed: bool,
    file: Option<W>,
    /// The last date read and its day number (a daily table repeats each date many times).
    last_date: (String, i32),
}

struct Columns<W: Write + Send> {
    names: Vec<String>,
    nullable: Vec<bool>,
    builders: Vec<Builder>,
    schema: SchemaRef,
    rows: usize,
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> Writer<W> {
    pub fn new(table: &'static Table, file: W) -> Self {
        Writer {
            table,
            csv: csv_core::Reader::new(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            columns: None,
            line: 0,
            failed: false,
            file: Some(file),
            last_date: (String::new(), 0),
        }
    }

    fn error(&self, what: String) -> io::Error {
        io::Error::other(format!("{} line {}: {what}", self.table.file, self.line))
    }

    /// Feeds CSV bytes; `input` empty means the text has ended.
    fn feed(&mut self, mut input: &[u8]) -> io::Result<()> {
        use csv_core::ReadRecordResult as R;
        let at_end = input.is_empty();
        loop {
            let (res, nin, nout, nend) = self.csv.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                R::InputEmpty if !at_end => return Ok(()),
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.line += 1;
                    self.take_record()?;
                    self.out_len = 0;
                    self.ends_len = 0;
                }
                R::End => return Ok(()),
            }
        }
    }

    fn take_record(&mut self) -> io::Result<()> {
        let mut fields: Vec<&str> = Vec::with_capacity(self.ends_len);
        let mut from = 0;
        for &end in &self.ends[..self.ends_len] {
            let f = std::str::from_utf8(&self.out[from..end])
                .map_err(|_| io::Error::other(format!("{}: not UTF-8", self.table.file)))?;
            fields.push(f);
            from = end;
        }
        let Some(cols) = self.columns.as_mut() else {
            let columns = start(self.table, &fields, self.file.take().expect("file"))
                .map_err(|e| self.error(e))?;
            self.columns = Some(columns);
            return Ok(());
        };
        if fields.len() != cols.builders.len() {
            let n = (fields.len(), cols.builders.len());
            return Err(self.error(format!("{} fields, the header has {}", n.0, n.1)));
        }
        for (i, f) in fields.iter().enumerate() {
            let b = &mut cols.builders[i];
            let res = if f.is_empty() {
                if !cols.nullable[i] {
                    let msg = format!("column `{}` is empty", cols.names[i]);
                    return Err(io::Error::other(format!(
                        "{} line {}: {msg}",
                        self.table.file, self.line
                    )));
                }
                b.null();
                Ok(())
            } else if let Builder::Date(d) = b {
                // The last date, parsed once.
                if self.last_date.0 != *f {
                    match days_from_date(f) {
                        Some(n) => self.last_date = (f.to_string(), n),
                        None => {
                            return Err(io::Error::other(format!(
                                "{} line {}: column `{}`: `{f}` is not a date YYYY-MM-DD",
                                self.table.file, self.line, cols.names[i]
                            )));
                        }
                    }
                }
                d.append_value(self.last_date.1);
                Ok(())
            } else {
                b.push(f)
            };
            if let Err(want) = res {
                return Err(io::Error::other(format!(
                    "{} line {}: column `{}`: `{f}` is not {want}",
                    self.table.file, self.line, cols.names[i]
                )));
            }
        }
        cols.rows += 1;
        if cols.rows == BATCH_ROWS {
            cols.flush().map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Writes the rows still held and the footer, and returns the file.
    pub fn finish(mut self) -> Result<W> {
        if self.failed {
            return Err(anyhow!("{}: writing failed before", self.table.file));
        }
        self.feed(&[])?;
        let cols = match self.columns.take() {
            Some(c) => c,
            // No text at all: the declared columns, no rows.
            None => {
                let names: Vec<&str> = self.table.columns.iter().map(|c| c.name).collect();
                start(self.table, &names, self.file.take().expect("file"))
                    .map_err(|e| anyhow!(e))?
            }
        };
        cols.close()
            .with_context(|| format!("cannot write the Parquet twin of {}", self.table.file))
    }
}

/// The columns of `table` for the header `names`, and the Parquet writer over `file`.
fn start<W: Write + Send>(table: &Table, names: &[&str], file: W) -> Result<Columns<W>, String> {
    let cols = table.columns_for(names)?;
    let fields: Vec<Field> = cols
        .iter()
        .map(|(name, kind, nullable)| Field::new(name, data_type(*kind), *nullable))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties()))
        .map_err(|e| format!("{}: {e}", table.file))?;
    Ok(Columns {
        names: cols.iter().map(|c| c.0.clone()).collect(),
        nullable: cols.iter().map(|c| c.2).collect(),
        builders: cols.iter().map(|c| Builder::new(c.1)).collect(),
        schema,
        rows: 0,
        writer,
    })
}

impl<W: Write + Send> Columns<W> {
    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.writer.write(&batch)?;
        self.rows = 0;
        Ok(())
    }

    fn close(mut self) -> Result<W> {
        self.flush()?;
        Ok(self.writer.into_inner()?)
    }
}

impl<W: Write + Send> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other(format!(
                "{}: writing failed before",
                self.table.file
            )));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.feed(buf) {
            self.failed = true;
            return Err(e);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        // Rows are written in whole batches; the file is flushed when finished.
        Ok(())
    }
}

/// The CSV text of a Parquet file the program wrote: the header, then each row with numbers
/// as the shortest decimal that reads back to the same value, dates as `YYYY-MM-DD`, `true`
/// or `false`, and nulls as empty cells: the bytes of the CSV file it is the twin of.
pub fn to_csv(bytes: Vec<u8>) -> Result<Vec<u8>> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))?;
    let schema = builder.schema().clone();
    let reader = builder.with_batch_size(BATCH_ROWS).build()?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(schema.fields().iter().map(|f| f.name()))?;
    let mut cell = String::new();
    for batch in reader {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            for col in batch.columns() {
                cell_text(&mut cell, col.as_ref(), row)?;
                w.write_field(&cell)?;
            }
            w.write_record(None::<&[u8]>)?;
        }
    }
    w.into_inner().map_err(|e| anyhow!("{}", e.error()))
}

fn cell_text(out: &mut String, col: &dyn Array, row: usize) -> Result<()> {
    use std::fmt::Write as _;
    out.clear();
    if col.is_null(row) {
        return Ok(());
    }
    match col.data_type() {
        DataType::Int64 => write!(out, "{}", col.as_primitive::<Int64Type>().value(row))?,
        DataType::Float64 => write!(out, "{}", col.as_primitive::<Float64Type>().value(row))?,
        DataType::Boolean => write!(out, "{}", col.as_boolean().value(row))?,
        DataType::Date32 => {
            out.push_str(&date_from_days(col.as_primitive::<Date32Type>().value(row)))
        }
        DataType::Utf8 => out.push_str(col.as_string::<i32>().value(row)),
        DataType::Dictionary(..) => {
            let dict = col.as_dictionary::<Int32Type>();
            let key = dict.keys().value(row) as usize;
            out.push_str(dict.values().as_string::<i32>().value(key));
        }
        t => {
            return Err(anyhow!(
                "a column of type {t} is not one the program writes"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_since_1970() {
        for (s, n) in [
            ("1970-01-01", 0),
            ("1969-12-31", -1),
            ("2000-02-29", 11_016),
            ("2025-04-04", 20_182),
            ("2024-12-31", 20_088),
        ] {
            assert_eq!(days_from_date(s), Some(n), "{s}");
            assert_eq!(date_from_days(n), s);
        }
        for bad in ["2025-02-30", "2025-4-04", "day+3", "", "2025-13-01"] {
            assert_eq!(days_from_date(bad), None, "{bad}");
        }
        // Every day of 1900..2200 reads back.
        let mut d = jiff::civil::Date::constant(1900, 1, 1);
        let mut n = days_from_date("1900-01-01").unwrap();
        while d.year() < 2200 {
            assert_eq!(days_from_date(&d.to_string()), Some(n));
            d = d.tomorrow().unwrap();
            n += 1;
        }
    }

    /// CSV text in pieces of any size gives the same Parquet bytes, and reads back as the
    /// same text; an empty number is a null, an empty required cell an error.
    #[test]
    fn parquet_holds_the_csv_values_whatever_the_chunks() {
        let table = crate::tabular::table("stockout.csv").unwrap();
        let mut text = String::from("date,region,product,paths,stockout_paths,probability\n");
        for i in 0..(BATCH_ROWS + 10) {
            let p = if i % 7 == 0 {
                String::new()
            } else {
                format!("{}", i as f64 / 3.0)
            };
            text.push_str(&format!(
                "2025-0{}-1{},\"US,A\",NdFeB,{i},{},{p}\n",
                1 + i % 9,
                i % 10,
                i % 5
            ));
        }
        let write = |chunk: usize| {
            let mut w = Writer::new(table, Vec::new());
            for c in text.as_bytes().chunks(chunk) {
                w.write_all(c).unwrap();
            }
            w.finish().unwrap()
        };
        let whole = write(text.len());
        assert_eq!(write(1), whole);
        assert_eq!(write(4093), whole);
        assert_eq!(String::from_utf8(to_csv(whole).unwrap()).unwrap(), text);

        let mut w = Writer::new(table, Vec::new());
        let e = w
            .write_all(
                b"date,region,product,paths,stockout_paths,probability\n2025-01-01,,X,1,1,0.5\n",
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("line 2: column `region` is empty"),
            "{e}"
        );
        let mut w = Writer::new(table, Vec::new());
        let e = w
            .write_all(
                b"date,region,product,paths,stockout_paths,probability\n2025-01-01,A,X,1.5,1,0.5\n",
            )
            .unwrap_err();
        assert!(e.to_string().contains("`1.5` is not a whole number"), "{e}");
        let mut w = Writer::new(table, Vec::new());
        let e = w.write_all(b"date,region\n").unwrap_err();
        assert!(e.to_string().contains("is not the columns"), "{e}");
    }
}
