from calculator.cli.main import run

run()
