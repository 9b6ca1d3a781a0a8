"""The request ledger: bounded TinyDB segments written behind the request, with rollups kept as it goes.

`Ledger` (writer.py) is the entry point; see `files.py` for the layout on disk and `writer.py` for
what a crash can lose.
"""

from killtoken_proxy.store.ledger.filters import RecordFilter
from killtoken_proxy.store.ledger.records import Record
from killtoken_proxy.store.ledger.writer import Ledger

__all__ = ["Ledger", "Record", "RecordFilter"]
