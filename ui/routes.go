package ui

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// guard is how a route identifies its caller. What the caller may then do
// (its role, its department) is checked by the handler or by the service
// the handler calls, which answers EFORBIDDEN.
type guard int

const (
	public  guard = iota // anyone: health, sign-in, static files
	apiKey               // the JSON API: audited (auditTrail), an API key or signature (authenticate), rate limited per key (rateLimit)
	session              // a console page or form: a signed-in user (requireUser), else the login page
)

// apiPrefix is where the JSON API lives; every apiKey route is under it.
const apiPrefix = "/api/v1"

// route is one line of the table: a method and path, its guard, its handler.
type route struct {
	method  string
	path    string
	guard   guard
	handler echo.HandlerFunc
}

// routeTable is every address the server answers. A new endpoint is one
// more line here; its handler lives in api_<noun>.go (JSON) or
// console_<page>.go (HTML).
func (s *Server) routeTable() []route {
	return []route{
		{"GET", "/healthz", public, s.health},
		{"GET", "/static/:hash/*", public, s.console.assets.serve},

		// The JSON API (api_*.go).
		{"POST", "/api/v1/messages", apiKey, s.sendMessages},
		{"GET", "/api/v1/messages", apiKey, s.listMessages},
		{"GET", "/api/v1/messages/:id", apiKey, s.getMessage},
		{"GET", "/api/v1/batches", apiKey, s.listBatches},
		{"POST", "/api/v1/batches/:id/review", apiKey, s.reviewBatch},
		{"GET", "/api/v1/replies", apiKey, s.listReplies},
		{"GET", "/api/v1/channels", apiKey, s.listChannels},
		{"POST", "/api/v1/channels", apiKey, s.createChannel},
		{"GET", "/api/v1/channels/:id", apiKey, s.getChannel},
		{"PATCH", "/api/v1/channels/:id", apiKey, s.updateChannel},
		{"DELETE", "/api/v1/channels/:id", apiKey, s.deleteChannel},
		{"GET", "/api/v1/departments", apiKey, s.listDepartments},
		{"POST", "/api/v1/departments", apiKey, s.createDepartment},
		{"PATCH", "/api/v1/departments/:id", apiKey, s.updateDepartment},
		{"DELETE", "/api/v1/departments/:id", apiKey, s.deleteDepartment},
		{"GET", "/api/v1/users", apiKey, s.listUsers},
		{"POST", "/api/v1/users", apiKey, s.createUser},
		{"PATCH", "/api/v1/users/:id", apiKey, s.updateUser},
		{"GET", "/api/v1/apps", apiKey, s.listApps},
		{"POST", "/api/v1/apps", apiKey, s.createApp},
		{"PATCH", "/api/v1/apps/:id", apiKey, s.updateApp},
		{"POST", "/api/v1/apps/:id/rotate", apiKey, s.rotateSecret},
		{"GET", "/api/v1/audit", apiKey, s.listAudit},
		{"GET", "/api/v1/audit/export", apiKey, s.exportAudit},
		{"GET", "/api/v1/templates", apiKey, s.listTemplates},
		{"POST", "/api/v1/templates", apiKey, s.createTemplate},
		{"GET", "/api/v1/templates/:id", apiKey, s.getTemplate},
		{"PATCH", "/api/v1/templates/:id", apiKey, s.updateTemplate},
		{"DELETE", "/api/v1/templates/:id", apiKey, s.deleteTemplate},
		{"POST", "/api/v1/templates/:id/review", apiKey, s.reviewTemplate},
		{"GET", "/api/v1/signatures", apiKey, s.listSignatures},
		{"POST", "/api/v1/signatures", apiKey, s.createSignature},
		{"DELETE", "/api/v1/signatures/:id", apiKey, s.deleteSignature},
		{"POST", "/api/v1/signatures/:id/review", apiKey, s.reviewSignature},
		{"GET", "/api/v1/blacklist", apiKey, s.listBlacklist},
		{"POST", "/api/v1/blacklist", apiKey, s.addBlacklist},
		{"DELETE", "/api/v1/blacklist/:phone", apiKey, s.removeBlacklist},
		{"GET", "/api/v1/blacklist/export", apiKey, s.exportBlacklist},
		{"POST", "/api/v1/blacklist/import", apiKey, s.importBlacklist},
		{"GET", "/api/v1/word-lists", apiKey, s.listWordLists},
		{"PUT", "/api/v1/word-lists/:name", apiKey, s.saveWordList},
		{"GET", "/api/v1/unsubscribe-words", apiKey, s.getUnsubscribeWords},
		{"PUT", "/api/v1/unsubscribe-words", apiKey, s.setUnsubscribeWords},

		// The console (console_*.go).
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.login},
		{"POST", "/logout", session, s.logout},
		{"GET", "/password", session, s.passwordPage},
		{"POST", "/password", session, s.changePassword},
		{"GET", "/settings", session, s.settingsPage},
		{"POST", "/lang", session, s.setLang},
		{"GET", "/", session, s.dashboard},
		{"GET", "/send", session, s.sendPage},
		{"POST", "/send", session, s.send},
		{"POST", "/send/upload", session, s.uploadNumbers},
		{"POST", "/send/upload-params", session, s.uploadPersonal},
		{"GET", "/records", session, s.records},
		{"GET", "/records/:id", session, s.batch},
		{"GET", "/records/:id/failed.:format", session, s.exportFailed},
		{"POST", "/records/:id/resend", session, s.resendFailed},
		{"POST", "/records/:id/cancel", session, s.cancelBatch},
		{"POST", "/records/:id/review", session, s.reviewHeld},
		{"GET", "/messages/:id", session, s.messagePage},
		{"GET", "/replies", session, s.repliesPage},
		{"GET", "/templates", session, s.templatesPage},
		{"POST", "/templates/:action", session, s.templateAction},
		{"GET", "/channels", session, s.channelsPage},
		{"GET", "/channels/new", session, s.channelForm},
		{"POST", "/channels/new", session, s.saveChannel},
		{"GET", "/channels/:id", session, s.channelForm},
		{"POST", "/channels/:id", session, s.saveChannel},
		{"POST", "/channels/:id/:action", session, s.channelAction},
		{"GET", "/blacklist", session, s.blacklistPage},
		{"GET", "/blacklist/export", session, s.exportBlacklist},
		{"POST", "/blacklist/import", session, s.consoleImportBlacklist},
		{"POST", "/blacklist/:action", session, s.blacklistAction},
		{"GET", "/words", session, s.wordsPage},
		{"POST", "/words/:action", session, s.wordsAction},
		{"GET", "/org", session, s.orgPage},
		{"POST", "/org/:action", session, s.orgAction},
		{"GET", "/apps", session, s.appsPage},
		{"POST", "/apps/:action", session, s.appAction},
		{"GET", "/audit", session, s.auditPage},
		{"GET", "/audit/export", session, s.exportAudit},
	}
}

// routes mounts the table. The API's middleware is on a group, so that it
// runs for every address under /api/v1, known or not.
func (s *Server) routes() {
	api := s.echo.Group(apiPrefix, s.auditTrail, s.authenticate, s.rateLimit)
	for _, r := range s.routeTable() {
		switch r.guard {
		case public:
			s.echo.Add(r.method, r.path, r.handler)
		case apiKey:
			if !strings.HasPrefix(r.path, apiPrefix+"/") {
				panic("ui: API route outside " + apiPrefix + ": " + r.path)
			}
			api.Add(r.method, strings.TrimPrefix(r.path, apiPrefix), r.handler)
		case session:
			s.echo.Add(r.method, r.path, r.handler, s.requireUser)
		}
	}
}
