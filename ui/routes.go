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
// console_<page>.go (HTML). A comment after a line names the role check its
// handler makes (a console page answers 403 to other roles); without one,
// the service the handler calls decides by role and department, or any
// signed-in user may.
func (s *Server) routeTable() []route {
	return []route{
		// Public: health (api_health.go), the console's static files (static.go), sign-in (console_login.go).
		{"GET", "/healthz", public, s.health},
		{"GET", "/static/:hash/*", public, s.console.assets.serve},
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.login},

		// The JSON API: messages and batches (api_message.go, api_batch.go), replies (api_reply.go).
		{"POST", "/api/v1/messages", apiKey, s.sendMessages},
		{"GET", "/api/v1/messages", apiKey, s.listMessages},
		{"GET", "/api/v1/messages/:id", apiKey, s.getMessage},
		{"GET", "/api/v1/batches", apiKey, s.listBatches},
		{"POST", "/api/v1/batches/:id/review", apiKey, s.reviewBatch},
		{"GET", "/api/v1/replies", apiKey, s.listReplies},

		// Channels (api_channel.go).
		{"GET", "/api/v1/channels", apiKey, s.listChannels},                   // RequireChannelAdmin
		{"POST", "/api/v1/channels", apiKey, s.createChannel},                 // RequireChannelAdmin
		{"GET", "/api/v1/channels/:id", apiKey, s.getChannel},                 // RequireChannelAdmin
		{"PATCH", "/api/v1/channels/:id", apiKey, s.updateChannel},            // RequireChannelAdmin
		{"DELETE", "/api/v1/channels/:id", apiKey, s.deleteChannel},           // RequireChannelAdmin
		{"GET", "/api/v1/channels/:id/held", apiKey, s.listHeld},              // RequireChannelAdmin
		{"POST", "/api/v1/channels/:id/held/:decision", apiKey, s.decideHeld}, // RequireChannelAdmin

		// Organisation: departments, users, apps (api_department.go, api_user.go, api_app.go).
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

		// Statistics (api_stats.go).
		{"GET", "/api/v1/stats", apiKey, s.statsReport},
		{"GET", "/api/v1/stats/breakdown", apiKey, s.statsBreakdown},
		{"GET", "/api/v1/stats/errors", apiKey, s.statsErrors},
		{"GET", "/api/v1/stats/export", apiKey, s.exportStats},

		// Audit log (api_audit.go, api_audit_export.go).
		{"GET", "/api/v1/audit", apiKey, s.listAudit},
		{"GET", "/api/v1/audit/export", apiKey, s.exportAudit},

		// Templates and signatures (api_template.go, api_signature.go).
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

		// Address books: contacts and groups (api_contact.go).
		{"GET", "/api/v1/contacts", apiKey, s.listContacts},
		{"POST", "/api/v1/contacts", apiKey, s.createContact},
		{"GET", "/api/v1/contacts/:id", apiKey, s.getContact},
		{"PATCH", "/api/v1/contacts/:id", apiKey, s.updateContact},
		{"DELETE", "/api/v1/contacts/:id", apiKey, s.deleteContact},
		{"GET", "/api/v1/groups", apiKey, s.listGroups},
		{"POST", "/api/v1/groups", apiKey, s.createGroup},
		{"PATCH", "/api/v1/groups/:id", apiKey, s.updateGroup},
		{"DELETE", "/api/v1/groups/:id", apiKey, s.deleteGroup},
		// Imports and their results, exports (api_contact_import.go, api_contact_export.go).
		{"POST", "/api/v1/contacts/import/preview", apiKey, s.previewImport},
		{"POST", "/api/v1/contacts/import", apiKey, s.startImport},
		{"GET", "/api/v1/contacts/export", apiKey, s.exportContacts},
		{"GET", "/api/v1/contact-imports", apiKey, s.listImports},
		{"GET", "/api/v1/contact-imports/:id", apiKey, s.getImport},
		{"GET", "/api/v1/contact-imports/:id/failed", apiKey, s.importFailures},

		// Blacklist and word lists (api_blacklist.go, api_words.go).
		{"GET", "/api/v1/blacklist", apiKey, s.listBlacklist},
		{"POST", "/api/v1/blacklist", apiKey, s.addBlacklist},
		{"DELETE", "/api/v1/blacklist/:phone", apiKey, s.removeBlacklist},
		{"GET", "/api/v1/blacklist/export", apiKey, s.exportBlacklist},
		{"POST", "/api/v1/blacklist/import", apiKey, s.importBlacklist},
		{"GET", "/api/v1/word-lists", apiKey, s.listWordLists},
		{"PUT", "/api/v1/word-lists/:name", apiKey, s.saveWordList},
		{"GET", "/api/v1/unsubscribe-words", apiKey, s.getUnsubscribeWords},
		{"PUT", "/api/v1/unsubscribe-words", apiKey, s.setUnsubscribeWords},

		// Quota accounts, the ledger and monthly consumption (api_account.go).
		{"GET", "/api/v1/account", apiKey, s.getAccount},
		{"PATCH", "/api/v1/account", apiKey, s.updateAccount},
		{"POST", "/api/v1/account/topup", apiKey, s.topUp},       // sysadmin
		{"POST", "/api/v1/account/allocate", apiKey, s.allocate}, // sysadmin, dept_admin within its subtree
		{"GET", "/api/v1/ledger", apiKey, s.listLedger},
		{"GET", "/api/v1/ledger/export", apiKey, s.exportLedger},
		{"GET", "/api/v1/consumption", apiKey, s.listConsumption},
		{"GET", "/api/v1/refund-policy", apiKey, s.getRefundPolicy},
		{"PUT", "/api/v1/refund-policy", apiKey, s.setRefundPolicy}, // sysadmin

		// The console, signed in: the account (console_login.go, console_password.go, console_settings.go).
		{"POST", "/logout", session, s.logout},
		{"GET", "/password", session, s.passwordPage},
		{"POST", "/password", session, s.changePassword},
		{"GET", "/settings", session, s.settingsPage},
		{"POST", "/lang", session, s.setLang},

		// 首页 (console_dashboard.go), 发送短信 (console_send*.go).
		{"GET", "/", session, s.dashboard},
		{"GET", "/send", session, s.sendPage}, // mayConsoleSend
		{"POST", "/send", session, s.send},    // mayConsoleSend
		{"POST", "/send/upload", session, s.uploadNumbers},
		{"POST", "/send/upload-params", session, s.uploadPersonal},
		{"POST", "/send/recipients", session, s.sendRecipients}, // mayConsoleSend; the live count with address-book groups

		// 账户与消费 (console_account.go).
		{"GET", "/account", session, s.accountPage},
		{"GET", "/account/balance", session, s.accountBalance},
		{"GET", "/account/ledger/export", session, s.exportLedger},
		{"POST", "/account/:action", session, s.accountAction}, // topup, refund: sysadmin; allocate, threshold: and dept_admin

		// 发送记录 (console_records.go), one batch (console_batch.go), one message (console_message.go).
		{"GET", "/records", session, s.records},
		{"GET", "/records/:id", session, s.batch},
		{"GET", "/records/:id/failed.:format", session, s.exportFailed},
		{"POST", "/records/:id/resend", session, s.resendFailed}, // mayConsoleSend
		{"POST", "/records/:id/cancel", session, s.cancelBatch},
		{"POST", "/records/:id/review", session, s.reviewHeld}, // CanReview
		{"GET", "/messages/:id", session, s.messagePage},

		// 上行回复 (console_replies.go), 模板与签名 (console_templates.go).
		{"GET", "/replies", session, s.repliesPage},
		{"GET", "/templates", session, s.templatesPage},
		{"POST", "/templates/:action", session, s.templateAction}, // not auditors; */review: CanReview

		// 通道管理 (console_channels.go), 敏感词 (console_words.go).
		{"GET", "/channels", session, s.channelsPage},               // CanManageChannels
		{"GET", "/channels/new", session, s.channelForm},            // CanManageChannels
		{"GET", "/channels/:id", session, s.channelForm},            // CanManageChannels
		{"POST", "/channels/new", session, s.saveChannel},           // CanManageChannels
		{"POST", "/channels/:id", session, s.saveChannel},           // CanManageChannels
		{"POST", "/channels/:id/:action", session, s.channelAction}, // CanManageChannels
		{"GET", "/words", session, s.wordsPage},                     // CanManageChannels
		{"POST", "/words/:action", session, s.wordsAction},          // CanManageChannels

		// 通讯录 (console_contacts.go), 导入 and 导入结果 (console_contact_import.go).
		{"GET", "/contacts", session, s.contactsPage},
		{"GET", "/contacts/export", session, s.exportContacts},                // handler in api_contact_export.go
		{"GET", "/contacts/search", session, s.listContacts},                  // the send page's contact search; handler in api_contact.go
		{"GET", "/contacts/import", session, s.contactImportPage},             // MayChange
		{"POST", "/contacts/import", session, s.consoleStartImport},           // MayChange
		{"POST", "/contacts/import/preview", session, s.consolePreviewImport}, // MayChange
		{"GET", "/contacts/imports", session, s.contactImportsPage},
		{"GET", "/contacts/imports/:id", session, s.contactImportResult},
		{"GET", "/contacts/imports/:id/failed", session, s.importFailures}, // handler in api_contact_import.go
		{"POST", "/contacts/:action", session, s.contactAction},            // MayChange
		{"GET", "/contacts/:id", session, s.contactPage},
		{"POST", "/contacts/:id/:action", session, s.contactChange}, // MayChange

		// 黑名单 (console_blacklist.go).
		{"GET", "/blacklist", session, s.blacklistPage},                  // mayKeepBlacklist
		{"GET", "/blacklist/export", session, s.exportBlacklist},         // handler in api_blacklist.go
		{"POST", "/blacklist/import", session, s.consoleImportBlacklist}, // mayKeepBlacklist
		{"POST", "/blacklist/:action", session, s.blacklistAction},       // mayKeepBlacklist

		// 组织与用户 (console_org.go), 应用接入 (console_apps.go), 审计日志 (console_audit.go).
		{"GET", "/org", session, s.orgPage},              // CanManageOrg
		{"POST", "/org/:action", session, s.orgAction},   // CanManageOrg
		{"GET", "/apps", session, s.appsPage},            // CanManageOrg
		{"POST", "/apps/:action", session, s.appAction},  // CanManageOrg
		{"GET", "/audit", session, s.auditPage},          // not operators
		{"GET", "/audit/export", session, s.exportAudit}, // handler in api_audit_export.go

		// 统计报表 (console_stats.go).
		{"GET", "/stats", session, s.statsPage},
		{"GET", "/stats/export", session, s.exportStats}, // handler in api_stats.go
	}
}

// routes mounts the table. The API's middleware is on a group, so that it
// runs for every address under /api/v1, known or not.
//
// Every route's body is capped and given a read deadline by its class
// (limitBody) before anything reads it: on the API before the audit trail
// and authentication, on the console after requireUser, so that a signed-in
// user gets the error as a page.
func (s *Server) routes() {
	api := s.echo.Group(apiPrefix, s.limitBody, s.auditTrail, s.authenticate, s.rateLimit)
	for _, r := range s.routeTable() {
		switch r.guard {
		case public:
			s.echo.Add(r.method, r.path, r.handler, s.limitBody)
		case apiKey:
			if !strings.HasPrefix(r.path, apiPrefix+"/") {
				panic("ui: API route outside " + apiPrefix + ": " + r.path)
			}
			api.Add(r.method, strings.TrimPrefix(r.path, apiPrefix), r.handler)
		case session:
			s.echo.Add(r.method, r.path, r.handler, s.requireUser, s.limitBody)
		}
	}
}
