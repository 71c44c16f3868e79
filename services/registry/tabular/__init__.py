"""Import and export of the registry's units and targets as XLSX and CSV with Chinese headers, as offices keep them.

Pure: no database, no network. See docs/import-template.md for the layout and the rules.
"""

from .export import export_csv, export_csv_zip, export_xlsx
from .problems import ImportProblem, ImportResult
from .validate import parse_import

__all__ = ["ImportProblem", "ImportResult", "export_csv", "export_csv_zip", "export_xlsx", "parse_import"]
