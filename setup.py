"""The native text kernel (moderation/features/_textscan.c); everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "moderation.features._textscan",
            sources=["moderation/features/_textscan.c"],
            extra_compile_args=["-O3", "-std=c11"],
        )
    ]
)
