"""(being written)"""

from __future__ import annotations

from fastapi import FastAPI

from lanventory.web.services import Services


async def start(app: FastAPI, services: Services) -> None:
    """(being written)"""
    del app, services


async def stop(app: FastAPI, services: Services) -> None:
    """(being written)"""
    del app
    services.writer.close()
