"""The evidence sheet's PDF: its HTML printed by Qt (QTextDocument -> QPdfWriter), A4.

app/evidence.py writes the HTML and runs this module in a separate process
(`python -m widgets.evidence_pdf SHEET.html SHEET.pdf`, on Qt's offscreen platform), because
app/ is the Qt-free core (import-linter contract). The wall may also call `write_pdf` directly
on its GUI thread. No network, no browser: QTextDocument loads no external resource.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

RESOLUTION_DPI = 300
MARGIN_MM = 12.0


def write_pdf(html: str, path: Path, title: str = "") -> None:
    """Print `html` into the PDF file `path` (a QGuiApplication must exist)."""
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                          QPageLayout.Unit.Millimeter)
    writer.setTitle(title)
    writer.setCreator("Nazar")
    doc = QTextDocument()
    doc.setHtml(html)
    doc.print_(writer)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m widgets.evidence_pdf",
                                description="Print an evidence sheet's HTML to PDF.")
    p.add_argument("html", type=Path)
    p.add_argument("pdf", type=Path)
    p.add_argument("--title", default="")
    args = p.parse_args(argv)
    try:
        html = args.html.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {args.html}: {exc}", file=sys.stderr)
        return 1
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    tmp = args.pdf.with_name(f".{args.pdf.name}.partial")
    write_pdf(html, tmp, args.title)
    del app
    if not tmp.is_file() or tmp.stat().st_size == 0:
        print(f"Qt wrote no PDF into {tmp}", file=sys.stderr)
        return 1
    tmp.replace(args.pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
