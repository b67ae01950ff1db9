"""Reading a directory file from disk: YAML or CSV, told apart by its name.

The readers themselves build on the format model (storage/directory/records.py):
`load_yaml` lives there, `load_csv` in storage/directory/csv_reader.py; this module
only picks one, so neither reader imports the other.
"""

from __future__ import annotations

from pathlib import Path

from storage.directory.csv_reader import load_csv
from storage.directory.records import DirectoryDoc
from storage.directory.yaml_reader import load_yaml

# A region's contact list is a few hundred kB; a country's a few MB. Far
# beyond that it is the wrong file, and is not read into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


def load(path: Path) -> DirectoryDoc:
    name = path.name
    doc = DirectoryDoc(name)
    suffix = path.suffix.lower()
    # File-level problems stand on line 1: every problem has a line to look at.
    if not path.exists():
        doc.problem(1, "bestand", "bestaat niet")
        return doc
    # Checked before reading: an .xlsx or a folder is no text to decode.
    if not path.is_file():
        doc.problem(1, "bestand", "is geen bestand")
        return doc
    if suffix not in (".csv", ".yaml", ".yml"):
        doc.problem(1, "bestand", "onbekend formaat: gebruik .yaml, .yml of .csv")
        return doc
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            doc.problem(1, "bestand", f"te groot (meer dan {MAX_FILE_BYTES // 2**20} MB)")
            return doc
        data = path.read_bytes()
    except OSError as exc:
        doc.problem(1, "bestand", f"kan niet gelezen worden ({exc.strerror or exc})")
        return doc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        doc.problem(data[:exc.start].count(b"\n") + 1, "bestand",
                    "geen UTF-8-tekst: sla het bestand op als UTF-8 (in Excel: 'CSV UTF-8')")
        return doc
    if suffix == ".csv":
        return load_csv(text, name)
    return load_yaml(text, name)
