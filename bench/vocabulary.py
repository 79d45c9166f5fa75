"""Service-guide vocabulary for the benchmark generator (bench/generate.py).

Real terms of Chinese government service guides (办事指南): matters (事项), the
departments that own them, application materials, conditions, the ways a matter
fails at the counter and the practices that fixed it. Sentences are assembled from
these parts, so the corpus has the word distribution of real guides (a few very
common words such as 办理, 申请, 材料 and a long tail of matter names) rather than
random characters. Nothing here names a real person.
"""
from __future__ import annotations

# (department key, name_zh, name_en)
DEPARTMENTS = [
    ("psb", "公安局", "Public Security Bureau"),
    ("hrss", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("samr", "市场监督管理局", "Market Regulation Administration"),
    ("housing", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("mca", "民政局", "Civil Affairs Bureau"),
    ("medical", "医疗保障局", "Healthcare Security Bureau"),
    ("tax", "税务局", "Taxation Bureau"),
    ("hpf", "住房公积金管理中心", "Housing Provident Fund Centre"),
    ("realestate", "不动产登记中心", "Real Estate Registration Centre"),
    ("health", "卫生健康委员会", "Health Commission"),
    ("edu", "教育局", "Education Bureau"),
    ("transport", "交通运输局", "Transport Bureau"),
    ("env", "生态环境局", "Ecology and Environment Bureau"),
    ("veterans", "退役军人事务局", "Veterans Affairs Bureau"),
    ("disabled", "残疾人联合会", "Disabled Persons' Federation"),
    ("zwfw", "政务服务管理局", "Government Services Administration"),
]

# (department key, matter_zh, matter_en)
MATTERS = [
    ("psb", "户口迁移", "household registration transfer"),
    ("psb", "户口登记", "household registration"),
    ("psb", "出生登记", "birth registration"),
    ("psb", "居民身份证换领", "resident ID card renewal"),
    ("psb", "居民身份证补领", "replacement resident ID card"),
    ("psb", "临时身份证明开具", "temporary identity certificate"),
    ("psb", "居住证办理", "residence permit"),
    ("psb", "居住证签注", "residence permit endorsement"),
    ("psb", "户籍证明开具", "household registration certificate"),
    ("psb", "无犯罪记录证明开具", "certificate of no criminal record"),
    ("psb", "养犬登记", "dog licence"),
    ("psb", "机动车驾驶证换证", "driving licence renewal"),
    ("psb", "机动车登记", "vehicle registration"),
    ("psb", "出入境证件办理", "exit and entry documents"),
    ("psb", "人才引进落户", "settlement for recruited talent"),
    ("hrss", "职工退休审批", "retirement approval"),
    ("hrss", "社会保险参保登记", "social insurance enrolment"),
    ("hrss", "养老保险关系转移", "pension insurance transfer"),
    ("hrss", "灵活就业人员社保缴费", "social insurance for flexible workers"),
    ("hrss", "社会保险费补缴", "social insurance back-payment"),
    ("hrss", "失业保险金申领", "unemployment benefit claim"),
    ("hrss", "工伤认定", "work injury determination"),
    ("hrss", "劳动能力鉴定", "work capacity assessment"),
    ("hrss", "社保卡申领", "social security card application"),
    ("hrss", "社保卡挂失补办", "social security card replacement"),
    ("hrss", "就业登记", "employment registration"),
    ("hrss", "职业技能等级认定", "vocational skill certification"),
    ("hrss", "劳动合同备案", "labour contract filing"),
    ("samr", "营业执照变更登记", "business licence amendment"),
    ("samr", "个体工商户设立登记", "sole trader registration"),
    ("samr", "个体工商户注销", "sole trader deregistration"),
    ("samr", "企业开办", "starting a business"),
    ("samr", "企业注销", "company deregistration"),
    ("samr", "食品经营许可", "food business permit"),
    ("samr", "经营范围变更", "change of business scope"),
    ("samr", "股权出质登记", "equity pledge registration"),
    ("housing", "房屋租赁备案", "housing rental registration"),
    ("housing", "商品房预售许可", "pre-sale permit for new housing"),
    ("housing", "建筑施工许可", "construction permit"),
    ("housing", "公共租赁住房申请", "public rental housing application"),
    ("housing", "物业维修资金使用", "property maintenance fund"),
    ("mca", "结婚登记", "marriage registration"),
    ("mca", "离婚登记", "divorce registration"),
    ("mca", "婚姻登记证补领", "replacement marriage certificate"),
    ("mca", "最低生活保障申请", "minimum living allowance"),
    ("mca", "临时救助申请", "temporary assistance"),
    ("mca", "高龄津贴申领", "old-age allowance"),
    ("mca", "社会团体登记", "social organisation registration"),
    ("medical", "异地就医备案", "registration for medical treatment elsewhere"),
    ("medical", "医保报销", "medical insurance reimbursement"),
    ("medical", "医疗保险参保登记", "medical insurance enrolment"),
    ("medical", "生育津贴申领", "maternity allowance"),
    ("medical", "门诊慢特病认定", "chronic disease outpatient approval"),
    ("tax", "税务登记", "tax registration"),
    ("tax", "发票申领", "invoice application"),
    ("tax", "个人所得税汇算清缴", "annual individual income tax settlement"),
    ("tax", "契税缴纳", "deed tax payment"),
    ("tax", "社会保险费追缴", "collection of social insurance arrears"),
    ("tax", "完税证明开具", "tax payment certificate"),
    ("hpf", "住房公积金提取", "housing provident fund withdrawal"),
    ("hpf", "住房公积金贷款", "housing provident fund loan"),
    ("hpf", "住房公积金补缴", "housing provident fund back-payment"),
    ("hpf", "住房公积金转移接续", "housing provident fund transfer"),
    ("realestate", "不动产登记", "real estate registration"),
    ("realestate", "二手房转移登记", "second-hand home transfer registration"),
    ("realestate", "不动产抵押登记", "mortgage registration"),
    ("realestate", "不动产登记资料查询", "real estate records search"),
    ("realestate", "不动产权证书补发", "replacement property certificate"),
    ("health", "出生医学证明办理", "birth medical certificate"),
    ("health", "医师执业注册", "physician practice registration"),
    ("health", "公共场所卫生许可", "public place hygiene permit"),
    ("edu", "义务教育入学登记", "compulsory school enrolment"),
    ("edu", "教师资格认定", "teacher qualification"),
    ("edu", "学历证明开具", "education certificate"),
    ("transport", "道路运输经营许可", "road transport permit"),
    ("transport", "网约车驾驶员证办理", "ride-hailing driver permit"),
    ("env", "排污许可", "pollutant discharge permit"),
    ("env", "环境影响评价审批", "environmental impact approval"),
    ("veterans", "退役军人优待证申领", "veterans preferential card"),
    ("veterans", "退役士兵安置", "placement of discharged soldiers"),
    ("disabled", "残疾人证办理", "disability certificate"),
    ("disabled", "残疾人两项补贴申领", "disability subsidies"),
    ("zwfw", "高频事项一件事办理", "bundled high-frequency services"),
    ("zwfw", "跨省通办", "inter-provincial services"),
]

MATERIALS = [
    "居民身份证", "身份证明", "户口簿", "户口本", "居住证", "护照", "港澳居民来往内地通行证",
    "结婚证", "离婚证", "出生医学证明", "近期免冠照片", "申请表", "授权委托书", "受托人身份证",
    "营业执照", "营业执照副本", "公司章程", "股东会决议", "法定代表人身份证明", "经营场所证明",
    "房屋租赁合同", "房产证", "不动产权证书", "购房合同", "土地证", "劳动合同", "工资流水",
    "银行流水", "社保缴费证明", "完税证明", "职工档案", "退休申请表", "诊断证明", "病历资料",
    "医疗费用发票", "犬只免疫证明", "犬只检测证明", "学历证书", "学位证书", "体检报告",
    "无犯罪记录证明", "单位介绍信", "情况说明", "承诺书", "居委会证明", "村委会证明",
    "公积金缴存证明", "贷款合同", "还款凭证", "收入证明", "在职证明", "离职证明", "户籍证明",
    "亲属关系证明", "死亡证明", "继承公证书", "环评报告", "安全评价报告", "施工图审查合格书",
]

# Vague or wrong wording found in guides -> what the counter really needs.
WRONG_RIGHT = [
    ("身份证明", "居民身份证"), ("身份证明", "身份证"), ("有效证件", "居民身份证原件"),
    ("相关材料", "劳动合同及工资流水"), ("其他材料", "情况说明"), ("房产证明", "不动产权证书或房产证"),
    ("单位证明", "加盖公章的单位介绍信"), ("户籍资料", "户口簿首页及本人页"),
    ("收入证明材料", "近六个月银行工资流水"), ("居住证明", "居住证或居住登记凭证"),
    ("复印件若干", "复印件一份"), ("原件", "原件及复印件各一份"), ("照片", "近期二寸免冠彩色照片两张"),
    ("证明材料", "社区出具的证明"), ("档案材料", "职工档案中最早记载的材料"),
]

PEOPLE = [
    "群众", "办事人", "申请人", "企业", "个体工商户", "灵活就业人员", "退休职工", "外地务工人员",
    "老年人", "残疾人", "新生儿父母", "房东", "承租人", "失业人员", "高校毕业生", "退役军人",
    "外籍人士", "港澳台居民", "企业经办人", "法定代表人",
]

FAILURES = [
    "按照网上公示的办事指南准备了材料，窗口却要求补充{material}",
    "因{material}与系统记录不一致，无法办理{matter}",
    "在外地无法到现场，窗口要求本人到场办理{matter}",
    "多次往返{dept}和街道便民服务中心，{matter}一直没有办成",
    "{dept}与其他部门对{material}的要求不一致",
    "原单位破产，无法提供{material}",
    "系统提示信息不符，{matter}无法提交",
    "指南写明可以网上办理，实际仍需到窗口提交{material}",
    "档案记载的出生日期与身份证不一致，{matter}被退回",
    "历史遗留问题，两个部门都说不归自己管",
    "窗口一次性告知不准确，第二次又要求提供{material}",
    "老年人不会使用手机APP预约，无法办理{matter}",
    "跨省办理时需要回原籍开具{material}",
]

SOLUTIONS = [
    "窗口工作人员通过视频连线核验本人意愿，当场完成{matter}",
    "经{dept}会商，明确以{material}为准，一次办结",
    "由{dept}牵头，相关部门联合办理，群众只跑一次",
    "改为网上提交电子材料，{material}可通过电子证照共享调取",
    "实行容缺受理，{material}可在十个工作日内补交",
    "开通绿色通道，由帮办代办人员全程代办{matter}",
    "通过数据共享核验{material}，不再要求群众提供纸质证明",
    "告知承诺制办理，申请人签署承诺书后当场办结",
    "上门服务，为行动不便的老年人办理{matter}",
    "与原籍{dept}协同，实现跨省通办",
    "周末增开预约号源，延时服务至晚上七点",
]

RESULTS = [
    "当场办结", "三个工作日内办结", "群众不再多跑路", "办理时限由二十个工作日压缩至五个工作日",
    "已纳入常态化做法", "办事指南已同步更新", "同类问题不再发生", "群众表示满意",
    "已在全市推广", "减少申请材料三项", "实现一次办好",
]

CAUSES = [
    "办事指南表述不清", "部门间数据未共享", "窗口人员对政策理解不一致", "系统功能不完善",
    "政策调整后指南未及时更新", "材料要求超出法定范围", "历史档案记载错误",
]

# English fragments: some entries carry English titles and summaries, some Chinese
# bodies mention English terms as real guides do (APP, PDF, ID).
EN_FAILURE = [
    "The guide asked for {m_en}; the counter required more papers.",
    "The applicant could not attend in person for the {matter_en}.",
    "Departments disagreed on the documents needed for the {matter_en}.",
    "The online system rejected the {matter_en} application.",
]
EN_SOLUTION = [
    "Staff verified the applicant by video call and completed the {matter_en} on the spot.",
    "The {matter_en} is now handled in one visit with shared electronic records.",
    "The guide now lists the resident ID card instead of vague identity proof.",
    "A help desk files the {matter_en} on behalf of older applicants.",
    "Missing documents may be supplied later under a written commitment.",
]
EN_MATERIALS = ["resident ID card", "household register", "rental contract", "business licence",
                "property certificate", "bank statement", "labour contract", "vaccination certificate"]
LATIN_TERMS = ["APP", "PDF", "ID", "EMS", "OCR", "QR", "12345热线", "e-mail"]

# Queries people type: one to three words, mostly Chinese (some Traditional), some English.
QUERY_WORDS = [
    "身份证", "户口", "社保", "补缴", "公积金", "提取", "营业执照", "租赁", "备案", "退休",
    "医保", "报销", "异地就医", "结婚登记", "养犬", "不动产", "登记", "居住证", "工伤", "失业",
    "出生", "证明", "注销", "许可", "发票", "契税", "残疾人", "低保", "救助", "入学",
    "教师资格", "驾驶证", "护照", "视频", "网上办理", "一次办结", "跨省通办", "材料", "档案",
    "个体工商户", "企业开办", "二手房", "抵押", "食品经营", "排污", "津贴", "老年人", "窗口",
    "社会保险", "养老保险", "劳动合同", "工资流水", "户籍", "无犯罪记录", "退役军人", "出生日期",
]
QUERY_PHRASES = [
    "社保补缴", "身份證", "身份证明", "房屋租赁备案", "住房公积金 提取", "营业执照 变更",
    "养犬登记", "異地就醫", "不動產登記", "退休 档案", "工伤认定 材料", "结婚登记 预约",
    "社保卡 补办", "个体工商户 注销", "户口 迁移", "居住证 签注", "医保 报销 材料",
    "公积金 贷款 流水", "企业 注销 税务", "租房 备案 视频", "老年人 上门 服务",
]
EN_QUERIES = [
    "ID card", "rental registration", "business licence", "dog license", "retirement",
    "social insurance", "provident fund", "marriage registration", "video call", "tax",
    "household register", "medical insurance reimbursement", "work injury", "property certificate",
]
