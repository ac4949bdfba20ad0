#!/usr/bin/env python3
"""civicline's Open311 GeoReport v2 endpoint, driven by two public client libraries from PyPI.

- `three` (Code for America): discovery, services, definitions, POST with attributes, one
  request, queries with paging and dates, tokens; JSON.
- `georeport`: services, definitions and requests in XML (parsed with xmltodict) and JSON.

Usage: clients.py BASE_URL, against a server with the Plovdiv demo loaded (an `admin` user with
the demo password). Prints one line per check and ends with `open311: N passed, M failed`.
"""

import datetime
import itertools
import sys
import time
import traceback

import requests

# `three` 0.8.0 predates Python 3; on the paths used here its only incompatibility is
# `itertools.ifilter`. Its XML parser is Python 2 only, so it is driven in JSON.
itertools.ifilter = filter
from three import Three  # noqa: E402
from georeport import GeoReport  # noqa: E402

BASE = sys.argv[1].rstrip("/")
ENDPOINT = BASE + "/open311/v2"
ADMIN = {"username": "admin", "password": "civicline-demo"}
SERVICE = "street-lighting"
NAME, PHONE, EMAIL = "Иван Петров", "0888 555 777", "ivan.petrov@example.bg"
PERSONAL = ["Иван", "Петров", PHONE, "+359888555777", EMAIL]

state = {}
CHECKS = []


def check(name):
    """Registers a check; `main` runs them in order after the setup."""

    def register(test):
        CHECKS.append((name, test))
        return test

    return register


def as_list(value):
    """xmltodict gives one repeated element as a dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wait_until_ready():
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(BASE + "/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("open311: the server did not become ready")


def setup():
    login = requests.post(BASE + "/api/v1/auth/login", json=ADMIN, timeout=10)
    login.raise_for_status()
    auth = {"Authorization": "Bearer " + login.json()["token"]}
    state["auth"] = auth
    issued = requests.post(BASE + "/api/v1/open311/keys", json={"client_name": "interop test"}, headers=auth, timeout=10)
    assert issued.status_code == 201, issued.text
    state["key"] = issued.json()["key"]
    attributes = [
        {"code": "LIGHT", "datatype": "singlevaluelist", "required": True,
         "description_bg": "Какво не е наред?", "description_en": "What is wrong?",
         "values": [{"key": "out", "name_bg": "Не свети", "name_en": "Out"},
                    {"key": "flickering", "name_bg": "Примигва", "name_en": "Flickering"}]},
        {"code": "WHEN", "datatype": "multivaluelist",
         "description_bg": "Кога?", "description_en": "When?",
         "values": [{"key": "night", "name_bg": "Нощем", "name_en": "At night"},
                    {"key": "day", "name_bg": "Денем", "name_en": "By day"}]},
        {"code": "POLE", "datatype": "number", "description_bg": "Номер на стълба", "description_en": "Pole number"},
    ]
    defined = requests.put(BASE + f"/api/v1/categories/{SERVICE}/attributes", json=attributes, headers=auth, timeout=10)
    assert defined.status_code == 200, defined.text


def three(**options):
    settings = {"format": "json", "api_key": state["key"], **options}
    return Three(ENDPOINT, **settings)


@check("three: discovery lists a GeoReport v2 endpoint in XML and JSON")
def _():
    discovery = three().discovery()
    for field in ("changeset", "contact", "key_service", "endpoints"):
        assert discovery.get(field), field
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == ENDPOINT, endpoint["url"]
    assert {"text/xml", "application/json"} <= set(endpoint["formats"])
    changeset = datetime.datetime.fromisoformat(endpoint["changeset"])
    assert changeset <= datetime.datetime.now(datetime.timezone.utc)


@check("three: service list")
def _():
    services = three().services()
    by_code = {service["service_code"]: service for service in services}
    assert all(isinstance(code, str) for code in by_code)
    assert {"social-help", "waste", SERVICE} <= set(by_code), sorted(by_code)
    assert by_code[SERVICE]["metadata"] is True
    assert by_code["waste"]["metadata"] is False
    assert by_code[SERVICE]["type"] == "realtime"
    english = three().services(lang="en")
    assert {s["service_code"]: s["service_name"] for s in english}[SERVICE] == "Street lighting"


@check("three: service definition")
def _():
    definition = three().services(SERVICE)
    assert definition["service_code"] == SERVICE
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert list(attributes) == ["LIGHT", "WHEN", "POLE"]
    assert attributes["LIGHT"]["required"] is True and attributes["LIGHT"]["order"] == 1
    assert [v["key"] for v in attributes["LIGHT"]["values"]] == ["out", "flickering"]


@check("three: POST a request with attributes")
def _():
    client = three()
    answer = client.post(
        SERVICE,
        lat="42.1437",
        long="24.7496",
        address="бул. Руски 50, Пловдив",
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        device_id="interop-device",
        description="Не свети лампата пред входа",
        media_url="https://photos.example/lamp.jpg",
        **{"attribute[LIGHT]": "out", "attribute[WHEN][]": ["night", "day"], "attribute[POLE]": "117"},
    )
    assert client.post_response.status_code == 200, client.post_response.text
    assert len(answer) == 1 and "token" not in answer[0], answer
    request_id = answer[0]["service_request_id"]
    assert isinstance(request_id, str) and request_id.startswith("PLV-"), request_id
    assert answer[0]["service_notice"]
    state["id"] = request_id


@check("three: the report is a case for staff, with the citizen and channel open311")
def _():
    case = requests.get(BASE + f"/api/v1/cases/{state['id']}", headers=state["auth"], timeout=10)
    assert case.status_code == 200, case.text
    case = case.json()
    assert case["channel"] == "open311" and case["proceeding"] == "formal", case
    assert case["citizen"]["name"] == NAME and case["citizen"]["email"] == EMAIL


@check("three: one request by id")
def _():
    found = three().request(state["id"])
    assert len(found) == 1
    request = found[0]
    assert request["service_request_id"] == state["id"]
    assert request["status"] == "open" and request["service_code"] == SERVICE
    assert abs(request["lat"] - 42.1437) < 1e-9 and abs(request["long"] - 24.7496) < 1e-9
    assert request["address"] == "бул. Руски 50, Пловдив"
    assert request["media_url"] == "https://photos.example/lamp.jpg"
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        datetime.datetime.fromisoformat(request[field])


@check("three: query by service, status, page size and dates")
def _():
    client = three()
    # A second report, so that paging has something to page.
    second = client.post("waste", address_string="ул. Отец Паисий 10", description="Препълнени контейнери")
    assert client.post_response.status_code == 200, second
    ids = [r["service_request_id"] for r in client.requests(SERVICE)]
    assert state["id"] in ids and second[0]["service_request_id"] not in ids
    assert len(client.requests(status="open", count=1)) == 1
    assert len(client.requests(status="open", count=1, page=2)) == 1
    assert client.requests(status="closed") == []
    today = datetime.date.today()
    start = (today - datetime.timedelta(days=10)).strftime("%m-%d-%Y")
    end = (today + datetime.timedelta(days=2)).strftime("%m-%d-%Y")
    ids = [r["service_request_id"] for r in client.requests(start=start, end=end)]
    assert state["id"] in ids, ids
    assert client.requests(start="01-01-2020", end="02-01-2020") == []
    too_wide = client.requests(start="01-01-2020", end="12-31-2020")
    assert client._request.status_code == 400 and too_wide[0]["code"] == 400, too_wide


@check("three: token resolves to the request id")
def _():
    client = three()
    extended = client.request(state["id"], extensions="true")[0]
    assert extended["extended_attributes"]["channel"] == "open311"
    assert {(a["code"], a["value"]) for a in extended["attributes"]} >= {("LIGHT", "out"), ("WHEN", "night"), ("WHEN", "day")}
    token = extended["extended_attributes"]["token"]
    resolved = client.token(token)
    assert resolved == [{"service_request_id": state["id"], "token": token}], resolved


@check("three: errors in the spec's format and status codes")
def _():
    wrong = three(api_key="not-a-key")
    answer = wrong.post(SERVICE, lat="42.1", long="24.7", **{"attribute[LIGHT]": "out"})
    assert wrong.post_response.status_code == 403 and answer == [{"code": 403, "description": "api_key is not valid"}], answer
    client = three()
    answer = client.post(SERVICE, lat="42.1", long="24.7")
    assert client.post_response.status_code == 400, answer
    assert {"code": 400, "description": "attribute[LIGHT] is required"} in answer, answer
    answer = client.post("no-such-service", lat="42.1", long="24.7")
    assert client.post_response.status_code == 404 and answer[0]["code"] == 404, answer
    answer = client.post(SERVICE, **{"attribute[LIGHT]": "out"})
    assert client.post_response.status_code == 400 and "location" in answer[0]["description"], answer


for output_format in ("xml", "json"):

    @check(f"georeport ({output_format}): services, definition and requests")
    def _(output_format=output_format):
        client = GeoReport(ENDPOINT, output_format=output_format)
        services = as_list(client.get_service_list())
        codes = [service["service_code"] for service in services]
        assert SERVICE in codes and "waste" in codes, codes
        definition = client.get_service_definition(SERVICE)
        if output_format == "xml":
            attributes = as_list(definition["attributes"]["attribute"])
            assert definition["service_code"] == SERVICE
            assert attributes[0]["required"] == "true"
            assert [v["key"] for v in as_list(attributes[0]["values"]["value"])] == ["out", "flickering"]
        else:
            attributes = definition["attributes"]
        assert [a["code"] for a in attributes] == ["LIGHT", "WHEN", "POLE"]
        found = as_list(client.get_service_requests(service_code=SERVICE, status="open"))
        assert state["id"] in [r["service_request_id"] for r in found]
        one = client.get_service_request(state["id"])
        assert one["service_request_id"] == state["id"] and one["status"] == "open", one
        assert one["service_code"] == SERVICE
        try:
            client.get_service_request("PLV-2026-999999")
        except requests.HTTPError as err:
            assert err.response.status_code == 404
        else:
            raise AssertionError("an unknown id must be 404")


@check("no personal data in any GET answer")
def _():
    for path in ("requests.json", "requests.xml", f"requests/{state['id']}.json", f"requests/{state['id']}.xml"):
        body = requests.get(f"{ENDPOINT}/{path}", params={"extensions": "true"}, timeout=10).text
        assert state["id"] in body, path
        for personal in PERSONAL + ["interop-device"]:
            assert personal not in body, f"{path} shows {personal}"


def main():
    wait_until_ready()
    setup()
    passed = failed = 0
    for name, test in CHECKS:
        try:
            test()
        except Exception as err:  # every failure is reported, then the next check runs
            failed += 1
            print(f"FAIL {name}: {err!r}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"open311: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
