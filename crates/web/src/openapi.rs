//! The OpenAPI 3.1 document of `/api/v1`, written by hand and checked against the route table by
//! a test (every documented operation exists; every route is documented).

use axum::Json;
use serde_json::{Value, json};

pub(crate) async fn document() -> Json<Value> {
    Json(spec())
}

fn error_responses(codes: &[u16]) -> Value {
    let mut responses = serde_json::Map::new();
    for code in codes {
        let description = match code {
            400 => "malformed request (bad JSON, unknown or mistyped fields)",
            401 => "not logged in",
            403 => "not allowed for this role or institution",
            404 => "not found, or not visible to this user",
            409 => "conflicts with existing data",
            413 => "body too large",
            415 => "file type not accepted",
            422 => "a field is invalid or a workflow rule forbids the change",
            503 => "the phone switch is not running",
            _ => "error",
        };
        responses.insert(
            code.to_string(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    Value::Object(responses)
}

fn op(summary: &str, body: Option<&str>, ok: (u16, &str), errors: &[u16]) -> Value {
    let mut responses = error_responses(errors);
    let ok_body = if ok.1.is_empty() {
        json!({"description": "done"})
    } else {
        json!({"description": "ok", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", ok.1)}}}})
    };
    responses[ok.0.to_string()] = ok_body;
    let mut operation = json!({"summary": summary, "responses": responses});
    if let Some(schema) = body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
        });
    }
    operation
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

pub(crate) fn spec() -> Value {
    let reference = path_param("reference", "case reference number, e.g. PLV-2026-000123");
    let mut list_cases = op("List cases, newest first", None, (200, "CasePage"), &[400, 401, 422]);
    list_cases["parameters"] = json!([
        query_param("status", json!({"type": "string", "enum": ["new", "in_progress", "resolved"]}), "case status"),
        query_param("category", json!({"type": "string"}), "category code"),
        query_param("institution", json!({"type": "string"}), "institution code"),
        query_param("overdue", json!({"type": "boolean"}), "only cases with an open assignment past its deadline"),
        query_param("q", json!({"type": "string"}), "words in the description, address or reference"),
        query_param("from", json!({"type": "string", "format": "date"}), "created on or after (Sofia date)"),
        query_param("to", json!({"type": "string", "format": "date"}), "created on or before (Sofia date)"),
        query_param("cursor", json!({"type": "string"}), "next_cursor of the previous page"),
        query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 500}), "page size, default 50"),
    ]);
    let mut upload = op("Attach a file (JPEG, PNG, WebP, PDF or WAV, by content)", None, (201, "Attachment"), &[400, 401, 404, 413, 415, 422]);
    upload["requestBody"] = json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
    upload["parameters"] = json!([
        query_param("filename", json!({"type": "string"}), "the file's name, for display"),
        query_param("public", json!({"type": "boolean"}), "whether the citizen may see it"),
    ]);
    let mut download = op("Download an attachment", None, (200, ""), &[401, 404]);
    download["responses"]["200"] = json!({"description": "the file", "content": {"application/octet-stream": {}}});
    let mut citizens = op("Citizens with this phone number and their cases (screen pop)", None, (200, "CitizenCasesList"), &[400, 401, 403, 422]);
    citizens["parameters"] = json!([{"name": "phone", "in": "query", "required": true, "schema": {"type": "string"}}]);
    let mut openapi = op("This document", None, (200, ""), &[]);
    openapi["security"] = json!([]);
    openapi["responses"]["200"] = json!({"description": "the OpenAPI document", "content": {"application/json": {}}});
    let mut list_calls = op("Call detail records from the phone switch, newest first (supervisor)", None, (200, "CallPage"), &[400, 401, 403, 422]);
    list_calls["parameters"] = json!([
        query_param("from", json!({"type": "string", "format": "date"}), "started on or after (Sofia date)"),
        query_param("to", json!({"type": "string", "format": "date"}), "started on or before (Sofia date)"),
        query_param("queue", json!({"type": "string"}), "queue name"),
        query_param("agent", json!({"type": "string"}), "agent SIP user name"),
        query_param("outcome", json!({"type": "string", "enum": ["answered", "abandoned", "ivr", "voicemail", "callback", "rejected", "no_answer", "transferred", "unreachable", "failed"]}), "how the leg ended"),
        query_param("leg", json!({"type": "string", "enum": ["caller", "agent"]}), "the caller's leg (one per call) or legs to agents"),
        query_param("cursor", json!({"type": "string"}), "next_cursor of the previous page"),
        query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 500}), "page size, default 50"),
    ]);
    let mut login = op("Log in; returns a bearer token and sets a session cookie", Some("Login"), (200, "LoginResult"), &[400, 401]);
    login["security"] = json!([]);

    let mut spec = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "civicline API",
            "version": "1",
            "description": "The case registry of a municipal contact centre. Errors have one shape, {\"error\": {\"code\", \"message\", \"field\"?}}, with the stable codes listed in docs/api-design.md."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            "/openapi.json": {"get": openapi},
            "/auth/login": {"post": login},
            "/auth/logout": {"post": op("End this session", None, (204, ""), &[401])},
            "/me": {"get": op("The logged-in user", None, (200, "User"), &[401])},
            "/cases": {
                "get": list_cases,
                "post": op("Register a case; answers once it is durable on disk", Some("NewCase"), (201, "Case"), &[400, 401, 413, 422])
            },
            "/cases/{reference}": {
                "parameters": [reference.clone()],
                "get": op("A case with its assignments and full history", None, (200, "Case"), &[401, 404])
            },
            "/cases/{reference}/events": {
                "parameters": [reference.clone()],
                "post": op("Add a public update or an internal note", Some("NewEvent"), (201, "Event"), &[400, 401, 404, 422])
            },
            "/cases/{reference}/assignments": {
                "parameters": [reference.clone()],
                "post": op("Add an institution to a live case", Some("NewAssignment"), (201, "Case"), &[400, 401, 404, 409, 422])
            },
            "/cases/{reference}/assignments/{institution}": {
                "parameters": [reference.clone(), path_param("institution", "institution code")],
                "put": op("Change one institution's assignment status", Some("AssignmentChange"), (200, "Case"), &[400, 401, 403, 404, 422])
            },
            "/cases/{reference}/attachments": {
                "parameters": [reference],
                "get": op("A case's attachments", None, (200, "AttachmentList"), &[401, 404]),
                "post": upload
            },
            "/attachments/{id}": {
                "parameters": [path_param("id", "attachment id")],
                "get": download
            },
            "/citizens": {"get": citizens},
            "/calls": {"get": list_calls},
            "/institutions": {
                "get": op("All institutions", None, (200, "InstitutionList"), &[401]),
                "post": op("Add an institution (admin)", Some("InstitutionInput"), (201, "Institution"), &[400, 401, 403, 409, 422])
            },
            "/institutions/{code}": {
                "parameters": [path_param("code", "institution code")],
                "put": op("Change an institution, e.g. its connection level (admin)", Some("InstitutionInput"), (200, "Institution"), &[400, 401, 403, 404, 409, 422])
            },
            "/categories": {
                "get": op("All categories", None, (200, "CategoryList"), &[401]),
                "post": op("Add a category (admin)", Some("CategoryInput"), (201, "Category"), &[400, 401, 403, 409, 422])
            },
            "/users": {
                "get": op("All users (admin)", None, (200, "UserList"), &[401, 403]),
                "post": op("Add a user (admin)", Some("UserInput"), (201, "User"), &[400, 401, 403, 409, 422])
            },
            "/open311/keys": {
                "get": op("All Open311 client API keys, without the keys (admin)", None, (200, "Open311KeyList"), &[401, 403]),
                "post": op("Issue an Open311 API key; the key is shown only in this answer (admin)", Some("Open311KeyInput"), (201, "Open311IssuedKey"), &[400, 401, 403, 422])
            },
            "/open311/keys/{id}": {
                "parameters": [path_param("id", "key id")],
                "put": op("Revoke or re-enable an Open311 API key (admin)", Some("Open311KeyChange"), (200, "Open311Key"), &[400, 401, 403, 404])
            },
            "/categories/{code}/attributes": {
                "parameters": [path_param("code", "category code")],
                "get": op("A category's Open311 service attributes, in form order", None, (200, "ServiceAttributeList"), &[401, 404]),
                "put": op("Replace all of a category's Open311 service attributes (admin)", Some("ServiceAttributeList"), (200, "ServiceAttributeList"), &[400, 401, 403, 404, 422])
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "civicline_session"}
            },
            "schemas": schemas()
        }
    });
    // One `json!` per area, like the schemas: a single literal this large exceeds the macro
    // recursion limit.
    if let (Some(paths), Value::Object(queues)) = (spec["paths"].as_object_mut(), queue_paths()) {
        paths.extend(queues);
    }
    spec
}

fn schemas() -> Value {
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    let mut schemas = json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "enum": ["unauthenticated", "forbidden", "not_found", "bad_request", "invalid_field", "conflict", "rule_violation", "too_large", "unsupported_media_type", "unavailable", "internal"]},
                "message": text, "field": text}}}
        },
        "Login": {"type": "object", "additionalProperties": false, "required": ["username", "password"],
            "properties": {"username": text, "password": text}},
        "LoginResult": {"type": "object", "properties": {"token": text, "expires_at": {"type": "integer"}, "user": {"$ref": "#/components/schemas/User"}}},
        "NewCase": {
            "type": "object", "additionalProperties": false, "required": ["category", "description", "channel"],
            "properties": {
                "category": {"type": "string", "description": "category code"},
                "description": {"type": "string", "maxLength": 10000},
                "channel": {"type": "string", "enum": ["phone", "portal", "email", "walk_in", "api", "open311"]},
                "submission_kind": {"type": "string", "enum": ["information_request", "proposal", "signal", "complaint", "service_request"]},
                "received_on": {"type": "string", "format": "date"},
                "location": {"type": ["object", "null"], "additionalProperties": false, "properties": {
                    "address": nullable_text, "district": nullable_text,
                    "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]}}},
                "citizen": {"type": ["object", "null"], "additionalProperties": false, "description": "absent for an anonymous submission (no formal proceeding, АПК art. 111(4))", "properties": {
                    "name": nullable_text, "phone": nullable_text, "email": nullable_text, "consent_contact": {"type": "boolean"}}}
            }
        },
        "Case": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"}, "reference": text,
                "tracking_code": {"type": "string", "description": "only in the registration answer"},
                "channel": text, "category_id": {"type": "integer"}, "submission_kind": text,
                "proceeding": {"type": "string", "enum": ["formal", "information_only"]},
                "status": {"type": "string", "enum": ["new", "in_progress", "resolved"]},
                "description": text, "location": {"type": "object"}, "citizen": {"type": ["object", "null"]},
                "received_on": {"type": "string", "format": "date"}, "created_at": {"type": "integer"},
                "assignments": {"type": "array", "items": {"$ref": "#/components/schemas/Assignment"}},
                "history": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
            }
        },
        "Assignment": {"type": "object", "properties": {
            "institution_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["new", "accepted", "in_progress", "done", "declined", "forwarded"]},
            "deadline": {"type": "string", "format": "date"},
            "working_days_left": {"type": "integer"}}},
        "CaseSummary": {"type": "object", "properties": {"id": {"type": "integer"}, "reference": text, "channel": text,
            "category_id": {"type": "integer"}, "status": text, "received_on": text, "created_at": {"type": "integer"}, "next_deadline": nullable_text}},
        "CallRecord": {"type": "object", "properties": {"id": {"type": "integer"}, "call": {"type": "string", "description": "the switch's call id; shared by a call's legs"},
            "leg": {"type": "string", "enum": ["caller", "agent"]}, "agent": nullable_text, "caller": {"type": ["string", "null"], "description": "the caller's number (personal data)"},
            "queue": nullable_text, "started_at": {"type": "integer"}, "answered_at": {"type": ["integer", "null"]}, "ended_at": {"type": "integer"},
            "wait_ms": {"type": "integer"}, "talk_ms": {"type": "integer"}, "outcome": text}},
        "CallPage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CallRecord"}}, "next_cursor": nullable_text}},
        "CasePage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}}, "next_cursor": nullable_text}},
        "NewEvent": {"type": "object", "additionalProperties": false, "required": ["kind", "body"], "properties": {
            "kind": {"type": "string", "enum": ["public_update", "note"]}, "body": text, "institution": text}},
        "Event": {"type": "object", "properties": {"id": {"type": "integer"}, "at": {"type": "integer"}, "kind": text, "public": {"type": "boolean"},
            "institution_id": {"type": ["integer", "null"]}, "actor_user_id": {"type": ["integer", "null"]}, "body": text}},
        "NewAssignment": {"type": "object", "additionalProperties": false, "required": ["institution"], "properties": {"institution": text}},
        "AssignmentChange": {"type": "object", "additionalProperties": false, "required": ["status"], "properties": {
            "status": {"type": "string", "enum": ["new", "accepted", "in_progress", "done", "declined", "forwarded"]},
            "reason": {"type": "string", "description": "required when declining"},
            "forward_to": {"type": "string", "description": "institution code; required when forwarding"}}},
        "Attachment": {"type": "object", "properties": {"id": {"type": "integer"}, "filename": text, "content_type": text,
            "size": {"type": "integer"}, "sha256": text, "public": {"type": "boolean"}, "created_at": {"type": "integer"}}},
        "AttachmentList": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
        "CitizenCasesList": {"type": "array", "items": {"type": "object", "properties": {
            "citizen": {"type": "object"}, "cases": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}}}}},
        "InstitutionInput": {"type": "object", "additionalProperties": false, "required": ["code", "name_bg", "name_en", "kind", "connection"], "properties": {
            "code": text, "name_bg": text, "name_en": text,
            "kind": {"type": "string", "enum": ["municipal_department", "district_administration", "municipal_company", "central_body", "partner"]},
            "connection": {"type": "string", "enum": ["listed", "email", "workspace", "api"]},
            "email": nullable_text, "phone": nullable_text, "webhook_url": nullable_text, "active": {"type": "boolean"}}},
        "Institution": {"type": "object", "properties": {"id": {"type": "integer"}, "code": text, "name_bg": text, "name_en": text,
            "kind": text, "connection": text, "email": nullable_text, "phone": nullable_text, "webhook_url": nullable_text, "active": {"type": "boolean"}}},
        "InstitutionList": {"type": "array", "items": {"$ref": "#/components/schemas/Institution"}},
        "CategoryInput": {"type": "object", "additionalProperties": false, "required": ["code", "name_bg", "name_en", "submission_kind", "institutions"], "properties": {
            "code": text, "parent": text, "name_bg": text, "name_en": text, "submission_kind": text,
            "deadline_rule": {"type": "string", "description": "months:N, days:N or working_days:N"},
            "institutions": {"type": "array", "items": {"type": "string"}}}},
        "Category": {"type": "object", "properties": {"id": {"type": "integer"}, "code": text, "parent_id": {"type": ["integer", "null"]},
            "name_bg": text, "name_en": text, "submission_kind": text, "deadline_rule": text,
            "institutions": {"type": "array", "items": {"type": "integer"}}, "active": {"type": "boolean"}}},
        "CategoryList": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
        "UserInput": {"type": "object", "additionalProperties": false, "required": ["username", "display_name", "password", "role"], "properties": {
            "username": text, "display_name": text, "password": {"type": "string", "minLength": 10},
            "role": {"type": "string", "enum": ["agent", "supervisor", "officer", "admin"]}, "institution": text}},
        "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": text, "display_name": text,
            "role": text, "institution_id": {"type": ["integer", "null"]}, "active": {"type": "boolean"}}},
        "UserList": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
    });
    // One `json!` per area: a single literal this large exceeds the macro recursion limit.
    if let (Some(all), Value::Object(open311)) = (schemas.as_object_mut(), open311_schemas()) {
        all.extend(open311);
    }
    if let (Some(all), Value::Object(queues)) = (schemas.as_object_mut(), queue_schemas()) {
        all.extend(queues);
    }
    schemas
}

/// The Open311 administration: API keys and service attributes.
fn open311_schemas() -> Value {
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    json!({
        "Open311KeyInput": {"type": "object", "additionalProperties": false, "required": ["client_name"], "properties": {"client_name": text}},
        "Open311KeyChange": {"type": "object", "additionalProperties": false, "required": ["active"], "properties": {"active": {"type": "boolean"}}},
        "Open311Key": {"type": "object", "properties": {"id": {"type": "integer"}, "client_name": text,
            "key_prefix": {"type": "string", "description": "the key's first characters"}, "active": {"type": "boolean"},
            "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}, "last_used_at": {"type": ["integer", "null"]}}},
        "Open311IssuedKey": {"allOf": [{"$ref": "#/components/schemas/Open311Key"},
            {"type": "object", "properties": {"key": {"type": "string", "description": "the API key; shown only once"}}}]},
        "Open311KeyList": {"type": "array", "items": {"$ref": "#/components/schemas/Open311Key"}},
        "ServiceAttribute": {"type": "object", "additionalProperties": false, "required": ["code", "datatype", "description_bg", "description_en"], "properties": {
            "code": {"type": "string", "description": "letters, digits, '-' or '_'"},
            "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
            "variable": {"type": "boolean", "description": "false: text shown to the user, no input; default true"},
            "required": {"type": "boolean"},
            "order": {"type": "integer", "minimum": 1, "description": "position in the form; defaults to the position in the list"},
            "description_bg": text, "description_en": text,
            "datatype_description_bg": nullable_text, "datatype_description_en": nullable_text,
            "values": {"type": "array", "description": "the options of a list attribute", "items": {"type": "object", "additionalProperties": false,
                "required": ["key", "name_bg", "name_en"], "properties": {"key": text, "name_bg": text, "name_en": text}}}}},
        "ServiceAttributeList": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceAttribute"}}
    })
}

/// Queue statistics, live and historical, and Erlang C staffing.
fn queue_paths() -> Value {
    let mut live = op("Callers waiting, longest wait and agents by state, live from the phone switch", None, (200, "QueueLive"), &[401]);
    live["description"] = json!("Empty lists when the switch is not running.");
    let mut stats = op(
        "Queue KPIs per 15-minute interval, computed from the ACD event log (supervisor)",
        None,
        (200, "QueueStats"),
        &[400, 401, 403, 422],
    );
    stats["parameters"] = json!([
        query_param("from", json!({"type": "string", "format": "date"}), "first day (Sofia date), default today"),
        query_param("to", json!({"type": "string", "format": "date"}), "last day, included, default from; at most 31 days"),
        query_param("queue", json!({"type": "string"}), "only this queue"),
        query_param("target_seconds", json!({"type": "integer", "minimum": 0, "maximum": 3600}), "service-level threshold T, default 20"),
    ]);
    let mut erlang = op("Erlang C: service level, waiting and the agents needed for a load", None, (200, "ErlangC"), &[400, 401, 422]);
    erlang["parameters"] = json!([
        {"name": "calls_per_hour", "in": "query", "required": true, "schema": {"type": "number", "minimum": 0}},
        {"name": "aht_seconds", "in": "query", "required": true, "description": "average handle time (talk + wrap-up)", "schema": {"type": "number", "exclusiveMinimum": 0}},
        query_param("agents", json!({"type": "integer", "minimum": 0}), "agents to evaluate; default the agents needed"),
        query_param("target_seconds", json!({"type": "number", "minimum": 0}), "service-level threshold T, default 20"),
        query_param("target_sl", json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100}), "service-level goal in percent, default 80"),
    ]);
    let mut events = op("The live figures pushed to wallboards as Server-Sent Events", None, (200, "QueueLive"), &[401]);
    events["description"] = json!(
        "text/event-stream: an event `live` whose data is the QueueLive object, at once, after every change (at most every 250 ms) and at least every 5 s; comments keep the connection alive; the stream ends when the server shuts down."
    );
    events["responses"]["200"]["content"] = json!({"text/event-stream": {"schema": {"type": "string"}}});
    let mut agent_state = op(
        "Make a phone agent available or pause them with a reason (supervisor, or the agent themselves)",
        Some("AgentStateInput"),
        (204, ""),
        &[400, 401, 403, 404, 422, 503],
    );
    agent_state["parameters"] = json!([path_param("agent", "the agent's SIP user name")]);
    let mut transfer = op(
        "Transfer the call a phone agent is talking on to a queue, a free colleague or an allowed outside number (supervisor, or the agent themselves)",
        Some("TransferInput"),
        (204, ""),
        &[400, 401, 403, 404, 409, 422, 503],
    );
    transfer["parameters"] = json!([path_param("agent", "the agent's SIP user name")]);
    let mut queues = op(
        "Move a phone agent between queues at once, until the next restart (supervisor)",
        Some("QueuesInput"),
        (204, ""),
        &[400, 401, 403, 404, 422, 503],
    );
    queues["parameters"] = json!([path_param("agent", "the agent's SIP user name")]);
    let mut flag = op("Turn a runtime IVR flag such as crisis on or off (supervisor)", Some("FlagInput"), (204, ""), &[400, 401, 403, 422, 503]);
    flag["parameters"] = json!([path_param("name", "lowercase letters and '_', e.g. crisis")]);
    json!({
        "/agents/{agent}/state": {"put": agent_state},
        "/agents/{agent}/transfer": {"post": transfer},
        "/agents/{agent}/queues": {"put": queues},
        "/flags/{name}": {"put": flag},
        "/queues/live": {"get": live},
        "/queues/live/events": {"get": events},
        "/queues/stats": {"get": stats},
        "/staffing/erlang-c": {"get": erlang}
    })
}

fn queue_schemas() -> Value {
    let count = json!({"type": "integer", "minimum": 0});
    let ratio = json!({"type": ["number", "null"], "minimum": 0, "maximum": 1});
    let seconds = json!({"type": ["number", "null"]});
    json!({
        "AgentStateInput": {"type": "object", "additionalProperties": false, "required": ["state"], "properties": {
            "state": {"type": "string", "enum": ["available", "break", "training", "admin_work"]}}},
        "QueuesInput": {"type": "object", "additionalProperties": false, "required": ["queues"], "properties": {
            "queues": {"type": "array", "maxItems": 64, "items": {"type": "string"}, "description": "the queues' names; an empty list takes the agent out of every queue"}}},
        "TransferInput": {"type": "object", "additionalProperties": false, "required": ["to"], "properties": {
            "to": {"type": "string", "minLength": 1, "maxLength": 64, "description": "a queue's name, a colleague's SIP user name or an outside number on the allow-list"}}},
        "FlagInput": {"type": "object", "additionalProperties": false, "required": ["on"], "properties": {"on": {"type": "boolean"}}},
        "QueueLive": {"type": "object", "properties": {
            "at": {"type": "integer", "description": "Unix milliseconds"},
            "queues": {"type": "array", "items": {"type": "object", "properties": {
                "queue": {"type": "string"}, "waiting": count, "longest_wait_seconds": count,
                "idle_agents": count, "staffed": count}}},
            "agents_by_state": {"type": "object", "additionalProperties": count,
                "description": "logged_out, available, ringing, on_call, wrap_up, missed, break"},
            "agents": {"type": "array", "items": {"type": "object", "properties": {"agent": {"type": "string"}, "state": {"type": "string"}}}}}},
        "QueueInterval": {"type": "object", "properties": {
            "start": {"type": "integer", "description": "Unix milliseconds; absent in a total"},
            "offered": count, "answered": count, "answered_within": count, "abandoned": count, "abandoned_within": count,
            "short_abandoned": count, "overflowed": count, "callbacks_requested": count, "callbacks_completed": count,
            "callbacks_failed": count, "handled": count, "service_level": ratio, "service_level_2": ratio,
            "abandon_rate": ratio, "average_speed_of_answer_seconds": seconds, "average_handle_time_seconds": seconds,
            "occupancy": ratio, "longest_wait_seconds": {"type": "number"}}},
        "QueueStats": {"type": "object", "properties": {
            "from": {"type": "integer"}, "to": {"type": "integer"}, "interval_seconds": {"type": "integer"},
            "target_seconds": {"type": "integer"},
            "formulas": {"type": "object", "additionalProperties": {"type": "string"}},
            "queues": {"type": "array", "items": {"type": "object", "properties": {
                "queue": {"type": "string"}, "total": {"$ref": "#/components/schemas/QueueInterval"},
                "intervals": {"type": "array", "items": {"$ref": "#/components/schemas/QueueInterval"}}}}}}},
        "ErlangC": {"type": "object", "properties": {
            "load_erlangs": {"type": "number"}, "target_seconds": {"type": "number"}, "target_sl": {"type": "number"},
            "agents_needed": {"type": ["integer", "null"]}, "agents": count, "probability_of_waiting": {"type": "number"},
            "service_level": {"type": "number"}, "average_speed_of_answer_seconds": seconds, "occupancy": {"type": "number"},
            "formulas": {"type": "object", "additionalProperties": {"type": "string"}}}}
    })
}
