from calculator.cli.main import main

raise SystemExit(main())
