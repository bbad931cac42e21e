-- wrk script of tests/benchmarks/webhooks.py: each request is a Telegram update with its own
-- update_id (so none is a redelivery) in one of 500 private chats, with the bench's secret.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local uid = 20000000 + tid * 1000000 + counter
  local chat = 7000000 + (uid % 500)
  local body = string.format('{"update_id": %d, "message": {"message_id": %d, "from": {"id": %d, "is_bot": false, "first_name": "W"}, "chat": {"id": %d, "type": "private", "first_name": "W"}, "date": %d, "text": "mercado 12,34"}}', uid, uid, chat, chat, os.time())
  return wrk.format("POST", "/webhooks/telegram", {["Content-Type"] = "application/json", ["X-Telegram-Bot-Api-Secret-Token"] = "bench-secret-token"}, body)
end
