"""python -m simulator --scenario FILE --host 127.0.0.1 --port 8800 (port 0: any free port, printed at start)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared.logging import configure_logging
from simulator.scenario import ScenarioError, demo_path, load_scenario
from simulator.server import start_simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Serve a scenario's simulated web.")
    parser.add_argument("--scenario", default=str(demo_path()), help="scenario YAML (default: the built-in demo)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800, help="0 picks a free port")
    parser.add_argument("--log-format", default="auto", choices=["auto", "console", "json"])
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    scenario = load_scenario(args.scenario)
    runner, port = await start_simulator(scenario, args.host, args.port)
    print(f"simulator listening on http://{args.host}:{port}/ ({scenario.name})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_logging("simulator", args.log_format)
    try:
        asyncio.run(serve(args))
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
