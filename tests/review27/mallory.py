"""Another local user: plants a hot rollback journal beside verify's scratch file in a shared
temporary folder, whose 'original pages' are those of a database of her choosing (here: a copy
of the kept read models). Tries both a scratch file in the folder itself and one inside a
folder of verify's (begroting-replay-*/replay.db), where she may not write."""

import os
import struct
import sys
import time

os.umask(0)
source, mode, shared = sys.argv[1], sys.argv[2], sys.argv[3]  # mode: how many seconds to try
assert "/rv" in shared  # a folder of the test, never the real /tmp
data = bytearray(open(source, "rb").read())
PAGE, SECTOR = 4096, 512
data[18] = data[19] = 1  # not WAL
pages = len(data) // PAGE
nonce = 0x12345678


def checksum(page: bytes) -> int:
    total, i = nonce, PAGE - 200
    while i > 0:
        total += page[i]
        i -= 200
    return total & 0xFFFFFFFF


head = bytes([0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7]) + struct.pack(">IIIII", pages, nonce, pages, SECTOR, PAGE)
journal = head.ljust(SECTOR, b"\0")
for n in range(pages):
    page = bytes(data[n * PAGE:(n + 1) * PAGE])
    journal += struct.pack(">I", n + 1) + page + struct.pack(">I", checksum(page))
deadline, planted, refused = time.time() + float(mode), 0, 0
while time.time() < deadline:
    for entry in os.listdir(shared):
        target = os.path.join(shared, entry)
        if not entry.startswith("begroting-replay-") or not (entry.endswith(".db") or os.path.isdir(target)):
            continue
        target = os.path.join(target, "replay.db") if os.path.isdir(target) else target
        try:
            fd = os.open(target + "-journal", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        except PermissionError:
            refused += 1
            continue
        os.write(fd, journal)
        os.close(fd)
        planted += 1
    time.sleep(0.01)
print("planted", planted, "refused", refused, flush=True)
