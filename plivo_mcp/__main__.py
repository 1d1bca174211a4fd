from plivo_mcp.cli import main

raise SystemExit(main())
