"""HTTP <-> the co-creation application (see ``app`` for the contract of every route)."""

from cocreation.api.app import create_api

__all__ = ["create_api"]
