"""``palette-index`` shows real thumbnails: a few KB, width and height, lazily loaded (issue 14 item 14)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from tests.httpserver import LocalHTTPServer, Response


def test_index_thumbnails_are_small_sized_and_lazy(
    make_app, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    src = tmp_path / "src"
    (src / "img").mkdir(parents=True)
    (src / "conf.py").write_text('extensions = ["sphinx_palette"]\n', encoding="utf-8")
    noise = np.random.default_rng(3).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    cv2.imwrite(str(src / "img" / "big.png"), noise)
    remote = cv2.imencode(".png", noise[:600, :400])[1].tobytes()
    http_server.route("/remote.png", Response(headers={"Content-Type": "image/png"}, body=remote))
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. palette-index::\n\n"
        ".. palette:: img/big.png\n   :show-image:\n   :caption: Big\n\n"
        f".. palette:: {http_server.url('/remote.png')}\n   :show-image:\n   :caption: Remote\n",
        encoding="utf-8",
    )
    app = make_app("html", srcdir=src, confoverrides={"palette_cache_dir": str(tmp_path / "cache")})
    app.build()
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    thumbs = re.findall(
        r'<img class="palette-index-thumb" src="([^"]+)" width="(\d+)" height="(\d+)"[^>]*>', html
    )
    assert len(thumbs) >= 2, html
    sizes = {(int(w), int(h)) for _, w, h in thumbs}
    assert sizes == {(240, 180), (160, 240)}
    for src_attr, _, _ in thumbs:
        path = Path(app.outdir, src_attr)
        assert src_attr.startswith("_images/palette/") and path.suffix == ".jpg"
        assert path.stat().st_size < 40_000  # the PNGs are megabytes of noise
    assert all('loading="lazy"' in tag for tag in re.findall(r'<img class="palette-index-thumb"[^>]*>', html))
