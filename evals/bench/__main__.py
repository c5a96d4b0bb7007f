"""`python -m evals.bench --sizes bundled 10k 100k 1M --json bench.json` (the same as `python -m rag bench`)."""

from evals.bench.cli import main

raise SystemExit(main())
