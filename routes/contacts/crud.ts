import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { requestMeta } from "../../src/audit/audit-log.ts";
import { contactView } from "../../src/contacts/contact-view.ts";
import {
  changeContactTags,
  createContact,
  deleteContact,
  findContact,
  listContacts,
  updateContact,
} from "../../src/contacts/manage-contacts.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import {
  IdParam,
  jsonBody,
  jsonContent,
  problemResponse,
  Timestamp,
} from "../../src/http/openapi-schemas.ts";
import { page, pageOf } from "../../src/http/pagination.ts";
import { ApiError, notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import {
  ContactBody,
  ContactSchema,
  ContactTag,
  ContactTags,
  ListContactsQuery,
  SearchContactsQuery,
  TAG,
} from "./schemas.ts";

export const listRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts",
  tags: [TAG],
  operationId: "listContacts",
  summary: "List contacts",
  description: "Newest first, filtered by tags (any or all), consent, blocked and last change.",
  request: { query: ListContactsQuery },
  responses: { 200: jsonContent(pageOf(ContactSchema), "Contacts.") },
});

export const searchRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/search",
  tags: [TAG],
  operationId: "searchContacts",
  summary: "Search contacts",
  description:
    "Finds `q` in names, emails and phone digits, ignoring case and accents, through a trigram index; the list filters apply too.",
  request: { query: SearchContactsQuery },
  responses: { 200: jsonContent(pageOf(ContactSchema), "Matches, newest first.") },
});

export const createRoute = defineRoute({ permission: "write:contacts" }, {
  method: "post",
  path: "/api/v1/contacts",
  tags: [TAG],
  operationId: "createContact",
  summary: "Create a contact",
  request: { body: jsonBody(ContactBody.openapi("CreateContact")) },
  responses: {
    201: jsonContent(ContactSchema, "Created."),
    409: problemResponse("A contact with this phone exists (`existing_id`)."),
  },
});

export const getRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/{id}",
  tags: [TAG],
  operationId: "getContact",
  summary: "Get a contact",
  request: { params: IdParam },
  responses: { 200: jsonContent(ContactSchema, "The contact.") },
});

export const updateRoute = defineRoute({ permission: "write:contacts" }, {
  method: "put",
  path: "/api/v1/contacts/{id}",
  tags: [TAG],
  operationId: "updateContact",
  summary: "Update a contact",
  description:
    "Fields left out stay as they are. `tags` replaces the list; `attributes` merges (a `null` value removes that key); `opt_in` records the time of consent or opt-out.",
  request: {
    params: IdParam,
    body: jsonBody(
      ContactBody.partial().refine((b) => Object.keys(b).length > 0, { message: "Nothing to change" })
        .openapi("UpdateContact"),
    ),
  },
  responses: {
    200: jsonContent(ContactSchema, "Updated."),
    409: problemResponse("Another contact has this phone (`existing_id`)."),
  },
});

export const deleteRoute = defineRoute({ permission: "write:contacts" }, {
  method: "delete",
  path: "/api/v1/contacts/{id}",
  tags: [TAG],
  operationId: "deleteContact",
  summary: "Delete a contact",
  description:
    "Soft delete: the contact disappears from lists and its phone is free (a new message from it starts a new contact). Its conversations are archived, their messages kept; the audit log records which. Erasing personal data is the LGPD routes' job.",
  request: { params: IdParam },
  responses: {
    200: jsonContent(
      z.object({
        id: z.uuid(),
        deleted_at: Timestamp,
        conversations_archived: z.number().int().openapi({
          description: "How many of its conversations were archived.",
        }),
      }).openapi("DeletedContact"),
      "Deleted.",
    ),
  },
});

const TagsBody = z.object({ tags: ContactTags.min(1) }).openapi("ContactTags", {
  example: { tags: ["novo", "importante"] },
});

export const addTagsRoute = defineRoute({ permission: "write:contacts" }, {
  method: "post",
  path: "/api/v1/contacts/{id}/tags",
  tags: [TAG],
  operationId: "tagContact",
  summary: "Add tags",
  description: "A tag already there is not repeated.",
  request: { params: IdParam, body: jsonBody(TagsBody) },
  responses: { 200: jsonContent(ContactSchema, "Tagged.") },
});

export const removeTagsRoute = defineRoute({ permission: "write:contacts" }, {
  method: "delete",
  path: "/api/v1/contacts/{id}/tags",
  tags: [TAG],
  operationId: "untagContact",
  summary: "Remove tags",
  description:
    'The tags in the body (`{"tags": [...]}`), or in `?tags=a,b` for clients that cannot send a body with DELETE. A tag the contact does not have is ignored.',
  request: {
    params: IdParam,
    query: z.object({
      tags: z.string().max(500).optional().refine(
        (v) => v === undefined || v.split(",").every((t) => !t.trim() || ContactTag.safeParse(t).success),
        "Tags of 1 to 50 characters, without ; or |",
      ),
    }),
    body: { ...jsonBody(TagsBody), required: false },
  },
  responses: { 200: jsonContent(ContactSchema, "Untagged.") },
});

export const registerContactCrud = (app: App) => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const { data, total } = await listContacts(c.get("services"), c.get("principal")!, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(searchRoute, async (c) => {
    const q = c.req.valid("query");
    const { data, total } = await listContacts(c.get("services"), c.get("principal")!, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(createRoute, async (c) => {
    const view = unwrap(
      await createContact(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("json")),
    );
    return c.json(view, 201);
  });
  app.openapi(getRoute, async (c) => {
    const row = await findContact(c.get("services"), c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("Contact");
    return c.json(contactView(row), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const view = unwrap(
      await updateContact(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        c.req.valid("json"),
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const out = unwrap(
      await deleteContact(c.get("services"), requestMeta(c), c.get("principal")!, c.req.valid("param").id),
    );
    return c.json(out, 200);
  });
  app.openapi(addTagsRoute, async (c) => {
    const view = unwrap(
      await changeContactTags(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        "add",
        c.req.valid("json").tags,
      ),
    );
    return c.json(view, 200);
  });
  app.openapi(removeTagsRoute, async (c) => {
    // The body when there is one (validated above); otherwise `?tags=`.
    const body = c.req.valid("json") as { tags?: string[] } | undefined;
    const tags = body?.tags ?? queryTags(c.req.valid("query").tags);
    const view = unwrap(
      await changeContactTags(
        c.get("services"),
        requestMeta(c),
        c.get("principal")!,
        c.req.valid("param").id,
        "remove",
        tags,
      ),
    );
    return c.json(view, 200);
  });
};

function queryTags(raw: string | undefined): string[] {
  const tags = raw?.split(",").map((t) => t.trim()).filter(Boolean) ?? [];
  if (tags.length === 0) {
    throw new ApiError("validation_failed", "Say which tags to remove", {
      errors: [{ path: "body.tags", message: "Required (or ?tags=a,b)" }],
    });
  }
  return tags;
}
