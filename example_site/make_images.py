"""Regenerate ``images/*.jpg`` from the CQ100 dataset (run once; the JPEGs are committed).

Usage: python make_images.py [path/to/cq100]   (default: ../../shared/datasets/cq100)

Each image is CQ100's PNG (already resized from the original by the dataset authors), re-encoded as
JPEG at quality 85 with OpenCV, long side kept at 768 px. Only Public Domain and CC0 images are
used; see credits.rst.
"""

import sys
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent

# slug in this site -> CQ100 "Modified Filename"
IMAGES = {
    "macaws": "macaws",
    "red-eyed-tree-frog": "red_eyed_tree_frog",
    "jacksons-chameleon": "jacksons_chameleon",
    "red-knobbed-starfish": "red_knobbed_starfish",
    "carrots": "carrots",
    "fruit-stand": "fruit_stand",
    "cosmic-vista": "cosmic_vista",
    "tulip-field": "tulip_field",
    "color-checker": "color_checker",
    "ball-caps": "ball_caps",
    "pencils": "pencils",
    "vintage-cars": "vintage_cars",
}
LONG_SIDE = 768


def main() -> None:
    default = HERE.parent.parent / "shared" / "datasets" / "cq100"
    cq100 = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out = HERE / "images"
    out.mkdir(exist_ok=True)
    for slug, name in IMAGES.items():
        image = cv2.imread(str(cq100 / "img" / f"{name}.png"), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read {name}.png under {cq100 / 'img'}")
        height, width = image.shape[:2]
        if max(height, width) != LONG_SIDE:
            scale = LONG_SIDE / max(height, width)
            size = (round(width * scale), round(height * scale))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        target = out / f"{slug}.jpg"
        cv2.imwrite(str(target), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        print(f"{target.name}: {image.shape[1]}x{image.shape[0]}, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
