"""Floor for `envelope tui` to its first screen: a bare Textual app with one
20-row DataTable (the values written in by hand) and a Footer."""

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "value")
        table.add_row("average_qps", "86.8k request/s")
        for i in range(19):
            table.add_row(f"value_{i}", f"{i} request/s")


if __name__ == "__main__":  # a script, run by the benchmarks in a terminal
    Floor().run()
