"""Pick the compute device: ``auto`` tries cuda, then mps, then cpu."""

from __future__ import annotations

import torch


class DeviceError(RuntimeError):
    """The asked-for device is not available here; the message offers the CPU."""


def available_devices() -> dict[str, bool]:
    mps = getattr(torch.backends, "mps", None)
    return {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": bool(mps and mps.is_available()),
    }


def resolve_device(name: str = "auto") -> torch.device:
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
        raise DeviceError(f"device {name!r} was asked for but {why}; use --device cpu (or auto)")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A short human name, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type
