#!/usr/bin/env bash
# Builds the initial seed inputs of every target under fuzz/seeds/TARGET/ from the repository's
# own files: the shipped scenarios and datasets, the CLI test fixtures, the ARIO peer's events,
# and a real shard and run made with the chokepoint binary. The committed corpus
# (fuzz/corpus/TARGET) is these seeds plus what the fuzzer found, minimised with
# `cargo fuzz cmin`; rerun this only to start over (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seeds=$root/fuzz/seeds
fix=crates/chokepoint-cli/tests/fixtures
rm -rf "$seeds"
mkdir -p "$seeds"/{scenario,events,dataset,shard,manifest,mrio,ario_events,mineral}

# scenario: every shipped scenario, the CLI fixtures and the complete example of docs/scenario.md.
cp scenarios/*.toml "$seeds/scenario/"
for f in tiny tiny-mc bad china-ban; do cp "$fix/$f.toml" "$seeds/scenario/fixture-$f.toml"; done
awk '/^## Complete example/{on=1} on&&/^```toml/{p=1;next} p&&/^```/{exit} p' docs/scenario.md \
    > "$seeds/scenario/doc-example.toml"
# Inputs past 4 kB slow the fuzzer down (the target runs with -max_len=4096), so the large
# scenarios are also cut into pieces: their [scenario] table followed by the next sections up
# to 3.5 kB, each piece a seed.
for f in scenarios/*.toml; do
    awk -v out="$seeds/scenario/piece-$(basename "$f" .toml)" '
        /^\[scenario\]/ { head = 1 }
        /^\[\[/ { if (head) { head = 0; hd = buf; buf = "" } else if (length(buf) + length(sec) > 3500) { flush() } ; buf = buf sec; sec = "" }
        { if (head) buf = buf $0 "\n"; else sec = sec $0 "\n" }
        END { buf = buf sec; flush() }
        function flush() { if (buf != "") { n++; printf "%s\n%s", hd, buf > (out "-" n ".toml"); close(out "-" n ".toml") } buf = "" }
    ' "$f"
done

# events: the [[event]] tables of every scenario above (the target puts a scenario head first).
for f in "$seeds"/scenario/*.toml; do
    awk '/^\[\[event\]\]/{p=1} p' "$f" > "$seeds/events/$(basename "$f")"
    [ -s "$seeds/events/$(basename "$f")" ] || rm "$seeds/events/$(basename "$f")"
done

# dataset: the small datasets whole, the world-2024 files each cut at an entry boundary near
# 12 kB (the target reads one file; a cut file still refers to ids of the others).
cp data/world-2010.toml fuzz/bases/tiny.toml "$seeds/dataset/"
for f in data/world-2024/*.toml; do
    awk 'BEGIN{n=0} /^\[\[/{if(n>12000)exit} {n+=length($0)+1; print}' "$f" \
        > "$seeds/dataset/world-2024-$(basename "$f")"
done

# mrio: the first 3 regions x 2 sectors of the 13x6 test MRIO (Z, NUL, Y, NUL, x) and the
# same without x.csv.
python3 - "$fix/mrio-13x6" "$seeds/mrio" <<'EOF'
import csv, io, sys
src, out = sys.argv[1], sys.argv[2]
def rows(name):
    with open(f"{src}/{name}", newline="") as f:
        return list(csv.reader(f))
z, y, x = rows("Z.csv"), rows("Y.csv"), rows("x.csv")
keep_r = list(dict.fromkeys(z[0][2:]))[:3]
keep_s = list(dict.fromkeys(z[1][2:]))[:2]
def industries(header_r, header_s):
    return [i for i, (r, s) in enumerate(zip(header_r, header_s)) if i < 2 or (r in keep_r and s in keep_s)]
def cut(table, cols, fd=False):
    out_rows = []
    for k, row in enumerate(table):
        if k >= 3 and not (row[0] in keep_r and row[1] in keep_s):
            continue
        out_rows.append([row[i] for i in cols if i < len(row)])
    s = io.StringIO()
    csv.writer(s, lineterminator="\n").writerows(out_rows)
    return s.getvalue()
zc = industries(z[0], z[1])
yc = [i for i, r in enumerate(y[0]) if i < 2 or r in keep_r]
xs = io.StringIO()
csv.writer(xs, lineterminator="\n").writerows([x[0]] + [r for r in x[1:] if r[0] in keep_r and r[1] in keep_s])
zt, yt = cut(z, zc), cut(y, yc)
open(f"{out}/small-3x2", "w").write(zt + "\0" + yt + "\0" + xs.getvalue())
open(f"{out}/small-3x2-no-x", "w").write(zt + "\0" + yt)
EOF

# ario_events: the TOML fixtures and the peer's JSON event lists of tests/peer_compare.rs.
cp "$fix"/ario-events-*.toml "$seeds/ario_events/"
grep -o "r#\"\[{\"event_type.*}\]\"#" crates/chokepoint-ario/tests/peer_compare.rs |
    sed 's/^r#"//; s/"#$//' | sort -u | awk -v d="$seeds/ario_events" '{print > (d "/peer-" NR ".json")}'
for f in "$seeds"/ario_events/peer-*.json; do
    # The peer's names on the 13x6 test MRIO the target resolves events against.
    sed 's/"reg[0-9]"/"US"/g; s/"r00[0-9]"/"CN"/g; s/"mining"/"Other"/g; s/"s000[0-9]"/"Other"/g' "$f" > "${f%.json}-13x6.json"
done

# shard, manifest and mineral need the binary: a real shard and a single run of the tiny world.
cargo build -q -p chokepoint-cli
bin=$root/target/debug/chokepoint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 20 of the fixture's 60 days, so that the shard (29 kB) fits the target's -max_len.
sed 's/^days = 60$/days = 20/' "$fix/tiny-mc.toml" > "$tmp/tiny-mc-20.toml"
"$bin" run "$tmp/tiny-mc-20.toml" --paths 20 --shard 0/2 --out "$tmp/shard" --quiet >/dev/null
cp "$tmp/shard/partial.bin" "$seeds/shard/tiny-mc-20-days-shard-0-of-2.bin"
cp "$tmp/shard/manifest.json" "$seeds/manifest/tiny-mc-shard-manifest.json"
printf '{"index": 0, "count": 2}' > "$seeds/manifest/shard.json"
"$bin" run "$fix/tiny.toml" --out "$tmp/run" --quiet >/dev/null
cat > "$tmp/map.toml" <<'EOF'
[[link]]
region = "USA"
product = "ndfeb-magnet"
mrio-region = "US"
mrio-sector = "Manufacture of motor vehicles, trailers and semi-trailers (34)"
dependence = 0.1
source = "chokepoint-assumption"
confidence = "assumption"
note = "fuzz seed"

[[link]]
region = "CHN"
product = "ndfeb-magnet"
mrio-region = "CN"
mrio-sector = "Manufacture of electrical machinery and apparatus n.e.c. (31)"
dependence = 0.5
source = "chokepoint-assumption"
confidence = "low"
EOF
# Mapping, NUL, the run's rows of the mapped series (the rest of timeseries.csv is skipped by the
# reader, and would only slow the fuzzer).
{ cat "$tmp/map.toml"; printf '\0'; awk 'NR == 1' "$tmp/run/timeseries.csv";
  grep -E ',(unmet_demand|consumption),' "$tmp/run/timeseries.csv" | grep -E '^[^,]*,(USA|CHN),,ndfeb-magnet,' | awk 'NR <= 80'; } \
    > "$seeds/mineral/tiny-run"
{ cat data/ario/exiobase3-mapping.toml; printf '\0'; awk 'NR == 1' "$tmp/run/timeseries.csv";
  grep -E ',(unmet_demand|consumption),' "$tmp/run/timeseries.csv" | awk 'NR <= 40'; } \
    > "$seeds/mineral/exiobase-mapping"
du -sh "$seeds"/*
