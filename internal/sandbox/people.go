package sandbox

import "github.com/fairdraw/fairdraw/internal/telegram/telegramtest"

// AdminID is the sandbox admin's Telegram id; the sandbox puts it in ADMIN_IDS.
const AdminID int64 = 1000

// crowdFirstID is the first id given to crowd members; people below it are the named ones.
const crowdFirstID int64 = 100000

// Person is a simulated Telegram user shown in the chat.
type Person struct {
	User  telegramtest.User
	Admin bool
}

// People are the named users of the sandbox chat: an admin and four users, two Russian- and
// two English-speaking, so that both languages of every text can be seen side by side.
var People = []Person{
	{User: telegramtest.User{ID: AdminID, FirstName: "Админ", Username: "sandbox_admin", LanguageCode: "ru"}, Admin: true},
	{User: telegramtest.User{ID: 1001, FirstName: "Анна", LastName: "Смирнова", LanguageCode: "ru"}},
	{User: telegramtest.User{ID: 1002, FirstName: "Bob", LastName: "Miller", LanguageCode: "en"}},
	{User: telegramtest.User{ID: 1003, FirstName: "Кира", LanguageCode: "ru"}},
	{User: telegramtest.User{ID: 1004, FirstName: "Dave", LanguageCode: "en"}},
}

// person finds a named user by id.
func person(id int64) (Person, bool) {
	for _, p := range People {
		if p.User.ID == id {
			return p, true
		}
	}
	return Person{}, false
}
