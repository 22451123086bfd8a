package app

import (
	"strconv"
	"strings"
)

// errorMeanings says in Chinese what a message's outcome code means: our
// own codes (error.go) and the SMSC's command_status values the engine
// records as SMPPCode.
var errorMeanings = map[string]string{
	EBLACKLIST:      "号码在黑名单中",
	EREVIEW:         "审核未通过",
	EVALIDITY:       "有效期已过，未能发出",
	ENOCHANNEL:      "没有可用通道",
	ESTOPPED:        "引擎或通道已停止",
	ECONNLOST:       "SMPP 连接中断，提交无应答",
	EENCODE:         "内容无法编码",
	ETIMEOUT:        "短信中心应答超时",
	ENOTBOUND:       "通道未绑定",
	ENORECEIPT:      "已提交，但在等待期内未收到状态报告",
	EDEADLETTER:     "队列任务多次认领无结果",
	EHELDFAILED:     "崩溃后挂起，由操作员置为失败",
	ESENSITIVE_WORD: "含敏感词",

	SMPPCode(0x01): "消息长度无效（ESME_RINVMSGLEN）",
	SMPPCode(0x02): "命令长度无效（ESME_RINVCMDLEN）",
	SMPPCode(0x03): "命令 ID 无效（ESME_RINVCMDID）",
	SMPPCode(0x04): "绑定状态不正确（ESME_RINVBNDSTS）",
	SMPPCode(0x05): "已绑定（ESME_RALYBND）",
	SMPPCode(0x08): "短信中心系统错误（ESME_RSYSERR）",
	SMPPCode(0x0A): "源地址无效（ESME_RINVSRCADR）",
	SMPPCode(0x0B): "目标号码无效（ESME_RINVDSTADR）",
	SMPPCode(0x0C): "消息 ID 无效（ESME_RINVMSGID）",
	SMPPCode(0x0D): "绑定失败（ESME_RBINDFAIL）",
	SMPPCode(0x0E): "密码错误（ESME_RINVPASWD）",
	SMPPCode(0x0F): "系统 ID 无效（ESME_RINVSYSID）",
	SMPPCode(0x14): "短信中心队列已满（ESME_RMSGQFUL）",
	SMPPCode(0x15): "服务类型无效（ESME_RINVSERTYP）",
	SMPPCode(0x33): "目标号码个数无效（ESME_RINVNUMDESTS）",
	SMPPCode(0x43): "esm_class 无效（ESME_RINVESMCLASS）",
	SMPPCode(0x45): "提交失败（ESME_RSUBMITFAIL）",
	SMPPCode(0x48): "源地址 TON 无效（ESME_RINVSRCTON）",
	SMPPCode(0x49): "源地址 NPI 无效（ESME_RINVSRCNPI）",
	SMPPCode(0x50): "目标地址 TON 无效（ESME_RINVDSTTON）",
	SMPPCode(0x51): "目标地址 NPI 无效（ESME_RINVDSTNPI）",
	SMPPCode(0x58): "超过流量限制（ESME_RTHROTTLED）",
	SMPPCode(0x61): "定时时间无效（ESME_RINVSCHED）",
	SMPPCode(0x62): "有效期无效（ESME_RINVEXPIRY）",
	SMPPCode(0x64): "短信中心临时错误（ESME_RX_T_APPN）",
	SMPPCode(0x65): "短信中心永久错误（ESME_RX_P_APPN）",
	SMPPCode(0x66): "短信中心拒绝（ESME_RX_R_APPN）",
	SMPPCode(0xC1): "不允许的可选参数（ESME_ROPTPARNOTALLWD）",
	SMPPCode(0xC2): "参数长度无效（ESME_RINVPARLEN）",
	SMPPCode(0xC4): "可选参数值无效（ESME_RINVOPTPARAMVAL）",
	SMPPCode(0xFE): "投递失败（ESME_RDELIVERYFAILURE）",
	SMPPCode(0xFF): "未知错误（ESME_RUNKNOWNERR）",
}

// receiptMeanings says what a delivery receipt's stat means; the store
// records a failed receipt as "STAT:err" (the carrier's own error code).
var receiptMeanings = map[string]string{
	"UNDELIV": "无法送达",
	"EXPIRED": "超过有效期未送达",
	"REJECTD": "被运营商拒绝",
	"DELETED": "已被短信中心删除",
	"UNKNOWN": "状态未知",
}

// ErrorMeaning says in Chinese what an outcome code means: one of ours, an
// SMSC's command_status (SMPP_0x..), or a receipt's "STAT:err". An
// unknown code answers "".
func ErrorMeaning(code string) string {
	if m, ok := errorMeanings[code]; ok {
		return m
	}
	if stat, errCode, ok := strings.Cut(code, ":"); ok {
		m, ok := receiptMeanings[stat]
		if !ok {
			return ""
		}
		if errCode == "" || strings.Trim(errCode, "0") == "" {
			return m
		}
		return m + "（运营商错误码 " + errCode + "）"
	}
	if hex, ok := strings.CutPrefix(code, "SMPP_0x"); ok {
		if _, err := strconv.ParseUint(hex, 16, 32); err == nil {
			return "短信中心错误（command_status 0x" + hex + "）"
		}
	}
	return ""
}
