"""The WebHDFS stand-in answers as the WebHDFS REST API documents, so HDFS tests mean something."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx

API = "/webhdfs/v1"


def test_create_is_two_steps_through_a_datanode(webhdfs: str) -> None:
    url = f"{webhdfs}{API}/standin-check/file.txt"
    step1 = httpx.put(url, params={"op": "CREATE", "overwrite": "false"})
    assert step1.status_code == 307
    location = step1.headers["location"]
    assert urlparse(location).port != urlparse(webhdfs).port  # the data goes elsewhere
    step2 = httpx.put(location, content=b"twelve bytes")
    assert step2.status_code == 201 and step2.headers["location"].startswith("webhdfs://")
    again = httpx.put(httpx.put(url, params={"op": "CREATE"}).headers["location"], content=b"x")
    assert again.status_code == 403
    assert again.json()["RemoteException"]["exception"] == "FileAlreadyExistsException"
    opened = httpx.get(url, params={"op": "OPEN", "offset": 7, "length": 3}, follow_redirects=True)
    assert opened.content == b"byt"


def test_status_listing_summary_and_errors(webhdfs: str) -> None:
    base = f"{webhdfs}{API}/standin-meta"
    assert httpx.put(f"{base}/a/b", params={"op": "MKDIRS"}).json() == {"boolean": True}
    loc = httpx.put(f"{base}/a/f", params={"op": "CREATE"}).headers["location"]
    httpx.put(loc, content=b"12345")
    status = httpx.get(f"{base}/a/f", params={"op": "GETFILESTATUS"}).json()["FileStatus"]
    assert (status["type"], status["length"], status["pathSuffix"]) == ("FILE", 5, "")
    listing = httpx.get(f"{base}/a", params={"op": "LISTSTATUS"}).json()
    names = [(s["pathSuffix"], s["type"]) for s in listing["FileStatuses"]["FileStatus"]]
    assert names == [("b", "DIRECTORY"), ("f", "FILE")]
    summary = httpx.get(base, params={"op": "GETCONTENTSUMMARY"}).json()["ContentSummary"]
    assert (summary["directoryCount"], summary["fileCount"], summary["length"]) == (3, 1, 5)
    missing = httpx.get(f"{base}/nope", params={"op": "GETFILESTATUS"})
    assert missing.status_code == 404
    assert missing.json()["RemoteException"]["javaClassName"] == "java.io.FileNotFoundException"
    busy = httpx.delete(f"{base}/a", params={"op": "DELETE", "recursive": "false"})
    assert busy.status_code == 403
    renamed = httpx.put(f"{base}/a/f", params={"op": "RENAME", "destination": "/standin-meta/g"})
    assert renamed.json() == {"boolean": True}
    gone = httpx.put(f"{base}/a/f", params={"op": "RENAME", "destination": "/standin-meta/h"})
    assert gone.json() == {"boolean": False}
    deleted = httpx.delete(base, params={"op": "DELETE", "recursive": "true"})
    assert deleted.json() == {"boolean": True}
    bad = httpx.get(base, params={"op": "NOSUCHOP"})
    assert bad.status_code == 400
