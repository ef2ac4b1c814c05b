"""Placeholder: export and import of the owner's naming."""

from fastapi import APIRouter

router = APIRouter()
