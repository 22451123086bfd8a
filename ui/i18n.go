package ui

// The console is in Simplified Chinese; english holds the English of every
// text the templates pass through {{t .Lang "..."}}. A text missing here
// shows in Chinese.
var english = map[string]string{
	"短信服务平台":   "SMS Platform",
	"模板与签名":    "Templates & signatures",
	"黑名单":      "Blacklist",
	"通讯录":      "Address books",
	"账户与消费":    "Account & usage",
	"剩余条数":     "Segments left",
	"不限额":      "Unlimited",
	"本月已用（条）":  "Used this month (segments)",
	"低余额提醒（条）": "Low-balance alert (segments)",
	"余额不足提醒：剩余条数已不高于提醒阈值，请及时充值。": "Low balance: the segments left are at or below the alert threshold; please top up.",
	"充值":      "Top up",
	"划拨给下级部门": "Allocate to a sub-department",
	"划拨":      "Allocate",
	"低余额提醒":   "Low-balance alert",
	"失败退还":    "Refund failures",
	"类型":      "Kind",
	"消费明细":    "Ledger",
	"按月统计消费":  "Monthly consumption",
	"按部门":     "by department",
	"按用户":     "by user",
	"查看":      "Show",
	"部门":      "Department",
	"保存":      "Save",
	"本月已用":    "Used this month",
	"导入通讯录":   "Import contacts",
	"导入结果":    "Import results",
	"联系人":     "Contact",
	"敏感词":     "Sensitive words",
	"新增模板":    "New template",
	"短信签名":    "Signatures",
	"筛选":      "Filter",
	"首页":      "Home",
	"发送短信":    "Send SMS",
	"发送记录":    "Records",
	"通道管理":    "Channels",
	"个人设置":    "Settings",
	"退出登录":    "Log out",
	"今日发送":    "Sent today",
	"已送达":     "Delivered",
	"失败":      "Failed",
	"待发送":     "Pending",
	"未发送":     "Not sent",
	"成功率":     "Success rate",
	"队列":      "Queue",
	"通道状态":    "Channel status",
	"最近批次":    "Recent batches",
	"手机号码":    "Phone numbers",
	"短信内容":    "Message",
	"立即发送":    "Send now",
	"定时发送":    "Schedule",
	"发送时间":    "Send at",
	"确认发送":    "Confirm",
	"取消":      "Cancel",
	"批次":      "Batch",
	"内容":      "Content",
	"号码数":     "Numbers",
	"进度":      "Progress",
	"创建时间":    "Created",
	"状态":      "Status",
	"错误":      "Error",
	"名称":      "Name",
	"地址":      "Address",
	"速率":      "Rate",
	"在途":      "In flight",
	"排队":      "Queued",
	"详情":      "Details",
	"English": "中文",
	"查询":      "Search",
	"下一页":     "Next page",
	"没有权限":    "Forbidden",
}

// translate is the templates' t function.
func translate(lang, zh string) string {
	if lang == "en" {
		if en, ok := english[zh]; ok {
			return en
		}
	}
	return zh
}
