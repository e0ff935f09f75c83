"""`begroting serve`: the ledger in a browser (the ``web`` package), on this machine only
unless told otherwise. Starlette and uvicorn are imported inside the command so that
`begroting --help` stays fast."""

from __future__ import annotations

import click

from cli.common import Failure, errors, whole


@click.command()
@click.option("--port", "port_text", default="8080", show_default=True, help="The port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but 127.0.0.1 or localhost shows the ledger to the network.")
@click.option("--allow-record", is_flag=True,
              help="Let the browser record, adopt and withdraw documents (off: every write is refused, 403).")
@click.pass_context
def serve(ctx: click.Context, port_text: str, host: str, allow_record: bool) -> None:
    """Serve the ledger's pages in a browser: the begroting, trails, diff, history, documents,
    contributions and integrity. Stop it with Ctrl-C.

    \b
    Example:
      begroting serve
      begroting --ledger postgresql://ctl_user@db/begroting serve --port 8081 --allow-record
    """
    import uvicorn

    from ledger.application import Ledger
    from web.app import make_app
    from web.site import LOOPBACK, Site

    port = whole(port_text, "--port", 1, 65535)
    local = host in LOOPBACK
    if allow_record and not local:
        raise Failure("--allow-record: recording from the browser is for this machine only (--host 127.0.0.1): "
                      "the pages have no log-in, so whoever reaches the port could record")
    with errors():  # open it once now: a missing ledger or an unreachable server is one line, not a page
        Ledger.open(ctx.obj["ledger"], write=allow_record).close()
    shown = f"[{host}]" if ":" in host else host
    _check_free(host, port, shown)
    site = Site(ctx.obj["ledger"], allow_record=allow_record, hosts=LOOPBACK if local else (*LOOPBACK, host))
    if not local:
        click.echo(f"note: serving on {shown}, not only on this machine: whoever reaches the port reads the ledger",
                   err=True)
    click.echo(f"Serving {ctx.obj['ledger']} at http://{shown}:{port}/ "
               f"({'recording allowed' if allow_record else 'read only'}); Ctrl-C stops it.")
    try:
        uvicorn.run(make_app(site), host=host, port=port, log_level="warning", server_header=False)
    except (OSError, SystemExit):
        raise Failure(f"serve: cannot listen on {shown}:{port}") from None
    finally:
        site.close()
    click.echo("Stopped.")
def _check_free(host: str, port: int, shown: str) -> None:
    """One clear line, before saying "Serving", when the address cannot be listened on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as e:
        raise Failure(f"serve: cannot listen on {shown}:{port}: {e.strerror or e}") from None


COMMANDS = [serve]
