from streetlib.cli import main

raise SystemExit(main())
