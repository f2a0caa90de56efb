using System.Text.Json.Nodes;
using Entrepot.Core.Protocol.Doors;
using static Entrepot.Core.Tests.Protocol.Doors.DoorAssert;

namespace Entrepot.Core.Tests.Protocol.Doors;

/// <summary>
/// The Responses door against the published schema (openai-openapi CreateResponse, Response and the
/// ResponseStreamEvent types): each request field lands where chat completions takes it, and each
/// answer field where the Responses API puts it. Expected values are written out by hand from the
/// schemas and the recorded streams of OpenAI's own SDK tests.
/// </summary>
public class ResponsesDoorTests
{
    private static ResponsesTranslation Read(string body)
    {
        var t = ResponsesDoor.Read(Utf8(body), out var error);
        Assert.True(t is not null, error?.Message);
        return t!;
    }

    private static Entrepot.Core.Protocol.RequestError Refused(string body)
    {
        Assert.Null(ResponsesDoor.Read(Utf8(body), out var error));
        return error!;
    }

    [Fact]
    public void StringInput_BecomesOneUserMessage_AfterInstructionsAsSystem()
    {
        var t = Read("""{"model":"m","instructions":"Be brief.","input":"Hello","max_output_tokens":64,"temperature":0.5,"top_p":0.9,"user":"u1"}""");
        SameJson("""{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"max_tokens":64,"temperature":0.5,"top_p":0.9,"user":"u1"}""", t.ChatBody);
        Assert.Equal("m", t.Model);
    }

    [Fact]
    public void Items_MessagesPartsCallsAndOutputs_MapToChatTurns()
    {
        var t = Read("""
            {"model":"m","input":[
              {"role":"developer","content":"Rules."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Look:"},{"type":"input_image","image_url":"https://example.org/a.png","detail":"low"}]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Calling.","annotations":[]}]},
              {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
              {"type":"function_call","call_id":"call_2","name":"get_time","arguments":"{}"},
              {"type":"function_call_output","call_id":"call_1","output":"22 C"},
              {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
              {"type":"reasoning","id":"rs_1","summary":[]}
            ]}
            """);
        SameJson("""
            {"model":"m","messages":[
              {"role":"developer","content":"Rules."},
              {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"https://example.org/a.png","detail":"low"}}]},
              {"role":"assistant","content":"Calling.","tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"22 C"},
              {"role":"tool","tool_call_id":"call_2","content":"noon"}
            ]}
            """, t.ChatBody);
    }

    [Fact]
    public void Tools_ChoiceFormatAndStream_MapToChatFields()
    {
        var t = Read("""
            {"model":"m","input":"x","stream":true,"parallel_tool_calls":false,
             "tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object","properties":{}},"strict":true}],
             "tool_choice":{"type":"function","name":"f"},
             "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}}}
            """);
        SameJson("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"parallel_tool_calls":false,
             "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{}},"strict":true}}],
             "tool_choice":{"type":"function","function":{"name":"f"}},
             "response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}}}
            """, t.ChatBody);
    }

    [Theory]
    [InlineData("""{"model":"m","input":"x","store":true}""", "store")]
    [InlineData("""{"model":"m","input":"x","previous_response_id":"resp_1"}""", "previous_response_id")]
    [InlineData("""{"model":"m","input":"x","conversation":"conv_1"}""", "conversation")]
    [InlineData("""{"model":"m","input":"x","background":true}""", "background")]
    [InlineData("""{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0]")]
    [InlineData("""{"model":"m","input":"x","tools":[{"type":"web_search"}]}""", "tools[0].type")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file_1","detail":"auto"}]}]}""", "input[0].content[0].file_id")]
    [InlineData("""{"model":"m","input":[{"role":"robot","content":"x"}]}""", "input[0].role")]
    [InlineData("""{"model":"m"}""", "input")]
    [InlineData("""{"input":"x"}""", "model")]
    [InlineData("""{"model":"m","input":"x","frobnicate":1}""", "frobnicate")]
    [InlineData("""{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}""", "text.format.type")]
    public void WhatCannotCross_IsRefusedNamingTheParameter(string body, string param) =>
        Assert.Equal(param, Refused(body).Param);

    [Fact]
    public void StoreFalse_AndNullStateFields_AreAccepted() =>
        Read("""{"model":"m","input":"x","store":false,"previous_response_id":null,"conversation":null,"background":false}""");

    [Fact]
    public void WholeAnswer_TextAndToolCalls_BecomeOutputItems()
    {
        var t = Read("""{"model":"m","input":"x","temperature":0.2,"metadata":{"k":"v"}}""");
        var chat = """
            {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",
             "message":{"role":"assistant","content":"Let me check.","tool_calls":[
               {"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}}],
             "usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}
            """;
        var r = Json(t.Answer(Utf8(chat)));
        Assert.Equal("response", (string?)r["object"]);
        Assert.StartsWith("resp_", (string?)r["id"], StringComparison.Ordinal);
        Assert.Equal("completed", (string?)r["status"]);
        Assert.Null(r["incomplete_details"]);
        Assert.Equal(0.2, (double)r["temperature"]!);
        Assert.Equal("v", (string?)r["metadata"]!["k"]);
        Assert.False((bool)r["store"]!);
        var output = r["output"]!.AsArray();
        Assert.Equal(2, output.Count);
        Assert.Equal("message", (string?)output[0]!["type"]);
        Assert.Equal("assistant", (string?)output[0]!["role"]);
        SameJson("""[{"type":"output_text","annotations":[],"logprobs":[],"text":"Let me check."}]""", Utf8(Text(output[0]!["content"])));
        Assert.Equal("function_call", (string?)output[1]!["type"]);
        Assert.Equal("call_9", (string?)output[1]!["call_id"]);
        Assert.Equal("get_weather", (string?)output[1]!["name"]);
        Assert.Equal("{\"city\":\"Paris\"}", (string?)output[1]!["arguments"]);
        Assert.StartsWith("fc_", (string?)output[1]!["id"], StringComparison.Ordinal);
        SameJson("""{"input_tokens":11,"input_tokens_details":{"cached_tokens":4},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":18}""", Utf8(Text(r["usage"])));
    }

    [Fact]
    public void WholeAnswer_StoppedAtTheLimit_IsIncomplete()
    {
        var t = Read("""{"model":"m","input":"x"}""");
        var r = Json(t.Answer(Utf8("""{"choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":"Once"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}""")));
        Assert.Equal("incomplete", (string?)r["status"]);
        Assert.Equal("max_output_tokens", (string?)r["incomplete_details"]!["reason"]);
    }

    [Fact]
    public void Stream_Text_FollowsTheRecordedEventOrder_NumberedFromZero()
    {
        var t = Read("""{"model":"m","input":"x","stream":true}""");
        var events = Events(t, [Chunk("""{"role":"assistant","content":""}"""), Chunk("""{"content":"Hel"}"""), Chunk("""{"content":"lo"}""") + Chunk("{}", "stop"), Usage(5, 2), Done]);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
             "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            events.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        Assert.All(events, e => Assert.Equal(e.Name, (string?)e.Data["type"]));
        Assert.Equal("in_progress", (string?)events[0].Data["response"]!["status"]);
        Assert.Equal("Hel", (string?)events[4].Data["delta"]);
        Assert.Equal("Hello", (string?)events[6].Data["text"]);
        var done = events[^1].Data["response"]!;
        Assert.Equal("completed", (string?)done["status"]);
        Assert.Equal("Hello", (string?)done["output"]![0]!["content"]![0]!["text"]);
        Assert.Equal(5, (int)done["usage"]!["input_tokens"]!);
        Assert.Equal(2, (int)done["usage"]!["output_tokens"]!);
    }

    [Fact]
    public void Stream_ParallelToolCalls_EachGetItsItemAndArgumentDeltas()
    {
        var t = Read("""{"model":"m","input":"x","stream":true,"tools":[{"type":"function","name":"f","parameters":{}}]}""");
        var events = Events(t,
        [
            Chunk("""{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}"""),
            Chunk("{}", "tool_calls"), Usage(9, 4), Done,
        ]);
        var added = events.Where(e => e.Name == "response.output_item.added").Select(e => e.Data["item"]!).ToList();
        Assert.Equal(["call_a", "call_b"], added.Select(i => (string?)i["call_id"]));
        Assert.All(added, i => Assert.Equal("", (string?)i["arguments"]));
        var argsDone = events.Where(e => e.Name == "response.function_call_arguments.done").ToList();
        Assert.Equal(["{\"q\":1}", "{}"], argsDone.Select(e => (string?)e.Data["arguments"]));
        Assert.Equal(["f", "g"], argsDone.Select(e => (string?)e.Data["name"]));
        var final = events[^1].Data["response"]!["output"]!.AsArray();
        Assert.Equal(["function_call", "function_call"], final.Select(i => (string?)i!["type"]));
        Assert.Equal("{\"q\":1}", (string?)final[0]!["arguments"]);
    }

    [Fact]
    public void Stream_CutOff_EndsWithResponseFailed_KeepingWhatArrived()
    {
        var t = Read("""{"model":"m","input":"x","stream":true}""");
        var events = Events(t, [Chunk("""{"content":"Once"}""")], fail: true);
        var last = events[^1];
        Assert.Equal("response.failed", last.Name);
        Assert.Equal("failed", (string?)last.Data["response"]!["status"]);
        Assert.Equal("cut off", (string?)last.Data["response"]!["error"]!["message"]);
        Assert.Contains(events, e => e.Name == "response.output_text.delta" && (string?)e.Data["delta"] == "Once");
    }

    [Fact]
    public void SellerError_KeepsTheOpenAIShape()
    {
        var t = Read("""{"model":"m","input":"x"}""");
        SameJson("""{"error":{"message":"bad","type":"invalid_request_error","param":"messages","code":null}}""",
            t.SellerError(400, Utf8("""{"error":{"message":"bad","type":"invalid_request_error","param":"messages"}}""")));
    }
}
