"""Pick the compute device: ``auto`` tries cuda, then mps, then cpu.

torch is imported by the functions that need it, not by this module: the window imports
:class:`DeviceError` long before it loads torch (in the background, after its first paint).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class DeviceError(RuntimeError):
    """The asked-for device is not available here; the message offers the CPU."""


def available_devices() -> dict[str, bool]:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": bool(mps and mps.is_available()),
    }


def resolve_device(name: str = "auto") -> torch.device:
    import torch

    available = available_devices()
    if name == "auto":
        for candidate in ("cuda", "mps", "cpu"):
            if available[candidate]:
                return torch.device(candidate)
    if name not in available:
        raise DeviceError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    if not available[name]:
        why = {
            "cuda": "no CUDA GPU is visible to this PyTorch build",
            "mps": "Apple's Metal (MPS) backend is not available on this machine",
        }[name]
        raise DeviceError(f"device {name!r} was asked for but {why}; use the cpu device instead "
                          "(--device cpu, or Device: cpu in the window)")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A short human name, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    import torch

    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def out_of_memory_message(exc: BaseException) -> str | None:
    """A user-facing sentence if ``exc`` means the device ran out of memory, else None."""
    text = str(exc).lower()
    torch = sys.modules.get("torch")  # only a loaded torch can have raised its own error
    gpu = isinstance(exc, getattr(torch, "OutOfMemoryError", ())) or "cuda out of memory" in text
    if gpu:
        return ("The GPU ran out of memory for this model and batch size. Use a smaller batch or model, "
                "or the cpu device.")
    if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and ("can't allocate memory" in text
                                                                          or "not enough memory" in text)):
        return "Not enough memory for this model and batch size. Use a smaller batch, fewer hidden units or latents."
    return None


def fused_adam_works(device: torch.device) -> bool:
    """Whether ``torch.optim.Adam(fused=True)`` runs on ``device`` (one step on a dummy)."""
    import torch

    try:
        p = torch.zeros(2, device=device, requires_grad=True)
        p.grad = torch.ones(2, device=device)
        torch.optim.Adam([p], fused=True).step()
        return True
    except (RuntimeError, TypeError, AttributeError, NotImplementedError, ValueError):
        return False
