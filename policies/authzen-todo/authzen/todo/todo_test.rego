package authzen.todo_test

import data.authzen.todo

rick := "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"

morty := "CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"

beth := "CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"

req(subject, action, owner) := {
	"subject": {"type": "user", "id": subject},
	"action": {"name": action},
	"resource": {"type": "todo", "id": "t1", "attributes": {"ownerID": owner}},
}

test_everyone_reads if {
	todo.allow with input as req(beth, "can_read_todos", "")
	todo.allow with input as req("nobody", "can_read_user", "")
}

test_create_needs_editor_or_admin if {
	todo.allow with input as req(morty, "can_create_todo", "")
	todo.allow with input as req(rick, "can_create_todo", "")
	not todo.allow with input as req(beth, "can_create_todo", "")
}

test_update if {
	todo.allow with input as req(morty, "can_update_todo", "morty@the-citadel.com")
	not todo.allow with input as req(morty, "can_update_todo", "rick@the-citadel.com")
	todo.allow with input as req(rick, "can_update_todo", "morty@the-citadel.com")
	not todo.allow with input as req(beth, "can_update_todo", "beth@the-smiths.com")
}

test_delete if {
	todo.allow with input as req(morty, "can_delete_todo", "morty@the-citadel.com")
	not todo.allow with input as req(morty, "can_delete_todo", "beth@the-smiths.com")
	todo.allow with input as req(rick, "can_delete_todo", "beth@the-smiths.com")
	not todo.allow with input as req(beth, "can_delete_todo", "beth@the-smiths.com")
}

test_subject_by_email if {
	todo.allow with input as req("morty@the-citadel.com", "can_delete_todo", "morty@the-citadel.com")
}

test_unknown_subject_and_action_denied if {
	not todo.allow with input as req("nobody", "can_create_todo", "")
	not todo.allow with input as req(rick, "can_fly", "")
}

route(subject, method, path) := {
	"subject": {"type": "identity", "id": subject},
	"action": {"name": method},
	"resource": {"type": "route", "id": path},
}

test_gateway if {
	todo.allow with input as route(beth, "GET", "/todos")
	todo.allow with input as route(morty, "PUT", "/todos/{todoId}")
	not todo.allow with input as route(beth, "DELETE", "/todos/{todoId}")
	not todo.allow with input as route("nobody", "POST", "/todos")
	not todo.allow with input as route(rick, "PATCH", "/todos")
}
