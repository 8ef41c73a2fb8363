"""`director models`: the diffusion presets, each role's model, whether its weights are in
the local Hugging Face cache, and the command that fetches those that are not."""

from __future__ import annotations

import click


@click.command()
def models() -> None:
    """List the diffusion presets and where their weights stand (no network)."""
    from animator.diffusion.catalog import catalog
    from animator.diffusion.loading import hub_cache_folder
    from animator.diffusion.presets import DEFAULT_PRESET, PRESETS

    rows = catalog()
    for name, preset in PRESETS.items():
        default = " (default)" if name == DEFAULT_PRESET else ""
        click.echo(f"{name}{default}: {preset.description}; {preset.resolution},"
                   f" VRAM {preset.vram}")
        for row in (r for r in rows if r.preset == name):
            click.echo(f"  {row.role:<22} {row.model:<48} present: {row.present}")
            if row.fetch:
                click.echo(f"  {'':<22} fetch: {row.fetch}")
    click.echo(f"Hugging Face cache: {hub_cache_folder('x/y').parent}"
               " (set HF_HOME or HF_HUB_CACHE to move it); or name a local folder with"
               " --keyframe-model")
