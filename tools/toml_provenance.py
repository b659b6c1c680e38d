"""TOML text helpers shared by the dataset generators: every number is written as an inline
table with its value, unit, source, confidence and note (`q`), so provenance travels with it."""


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def fmt(v):
    if isinstance(v, int):
        return str(v)
    if abs(v - round(v)) < 1e-9 and abs(v) >= 1:
        return str(int(round(v)))
    return repr(round(v, 6))


def q(value, source, confidence, note=None, unit=None):
    """A number with provenance, as an inline TOML table."""
    parts = [f"value = {fmt(value)}"]
    if unit:
        parts.append(f'unit = "{unit}"')
    parts.append(f'source = "{source}"')
    parts.append(f'confidence = "{confidence}"')
    if note:
        parts.append(f'note = "{esc(note)}"')
    return "{ " + ", ".join(parts) + " }"

