using System.Text.Json.Nodes;
using Entrepot.Core.Protocol.Doors;
using static Entrepot.Core.Tests.Protocol.Doors.DoorAssert;

namespace Entrepot.Core.Tests.Protocol.Doors;

/// <summary>
/// The Messages door against Anthropic's published types (MessageCreateParams, Message, the stream
/// events and the error shape): each field lands where chat completions takes it and comes back
/// where Anthropic's SDKs read it. Expected values are written out by hand from those types and the
/// SDK's recorded streams.
/// </summary>
public class MessagesDoorTests
{
    private static MessagesTranslation Read(string body, string? version = "2023-06-01")
    {
        var t = MessagesDoor.Read(Utf8(body), version, out var error);
        Assert.True(t is not null, error?.Message);
        return t!;
    }

    private static Entrepot.Core.Protocol.RequestError Refused(string body, string? version = "2023-06-01")
    {
        Assert.Null(MessagesDoor.Read(Utf8(body), version, out var error));
        return error!;
    }

    [Fact]
    public void SystemTurnsAndSettings_MapToChat()
    {
        var t = Read("""
            {"model":"m","max_tokens":100,"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text","text":"Hello"}]},{"role":"user","content":"Bye"}],
             "stop_sequences":["END"],"temperature":0.3,"top_p":0.8,"top_k":5,"metadata":{"user_id":"u-1"},"stream":true}
            """);
        SameJson("""
            {"model":"m","max_tokens":100,"messages":[
              {"role":"system","content":"Be brief.\nBe kind."},
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello"},
              {"role":"user","content":"Bye"}],
             "stop":["END"],"temperature":0.3,"top_p":0.8,"user":"u-1","stream":true,"stream_options":{"include_usage":true}}
            """, t.ChatBody);
    }

    [Fact]
    public void ImagesToolUseAndToolResults_MapToChatParts_ResultsBeforeTheUsersText()
    {
        var t = Read("""
            {"model":"m","max_tokens":10,"messages":[
              {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                                        {"type":"image","source":{"type":"url","url":"https://example.org/b.jpg"}}]},
              {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"png"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"a logo"}]},{"type":"text","text":"Thanks"}]}],
             "tools":[{"name":"lookup","description":"Look up","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
             "tool_choice":{"type":"any","disable_parallel_tool_use":true}}
            """);
        SameJson("""
            {"model":"m","max_tokens":10,"messages":[
              {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
                                        {"type":"image_url","image_url":{"url":"https://example.org/b.jpg"}}]},
              {"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"png\"}"}}]},
              {"role":"tool","tool_call_id":"toolu_1","content":"a logo"},
              {"role":"user","content":[{"type":"text","text":"Thanks"}]}],
             "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}},"description":"Look up"}}],
             "tool_choice":"required","parallel_tool_calls":false}
            """, t.ChatBody);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[]}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}""", "messages.0.role")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]}""", "messages.0.content.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""", "tools.0.type")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a","b","c","d","e"]}""", "stop_sequences")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"inference_geo":"us"}""", "inference_geo")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"surprise":true}""", "surprise")]
    [InlineData("""{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model")]
    public void WhatCannotCross_IsRefusedNamingTheParameter(string body, string param) =>
        Assert.Equal(param, Refused(body).Param);

    [Fact]
    public void Version20261021_RefusesSamplingParameters_OthersAreRefusedByName()
    {
        Assert.Equal("temperature", Refused("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"temperature":1}""", "2026-10-21").Param);
        Assert.Equal("anthropic-version", Refused("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "1999-01-01").Param);
        Read("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", null);
    }

    [Fact]
    public void WholeAnswer_TextAndToolUse_WithUsageLessCachedInput()
    {
        var t = Read("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}""");
        var r = Json(t.Answer(Utf8("""
            {"id":"c1","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Sure.",
              "tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]}}],
             "usage":{"prompt_tokens":20,"completion_tokens":6,"prompt_tokens_details":{"cached_tokens":8}}}
            """)));
        Assert.StartsWith("msg_", (string?)r["id"], StringComparison.Ordinal);
        Assert.Equal("message", (string?)r["type"]);
        Assert.Equal("assistant", (string?)r["role"]);
        Assert.Equal("m", (string?)r["model"]);
        SameJson("""[{"type":"text","text":"Sure."},{"type":"tool_use","id":"call_1","name":"lookup","input":{"q":"x"}}]""", Utf8(Text(r["content"])));
        Assert.Equal("tool_use", (string?)r["stop_reason"]);
        Assert.Null(r["stop_sequence"]);
        SameJson("""{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":8,"output_tokens":6}""", Utf8(Text(r["usage"])));
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    public void WholeAnswer_StopReasons(string finish, string stop)
    {
        var t = Read("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}""");
        var r = Json(t.Answer(Utf8("""{"choices":[{"index":0,"finish_reason":"FINISH","message":{"role":"assistant","content":"a"}}]}""".Replace("FINISH", finish, StringComparison.Ordinal))));
        Assert.Equal(stop, (string?)r["stop_reason"]);
    }

    [Fact]
    public void Stream_TextThenToolUse_FollowsAnthropicsEventOrder()
    {
        var t = Read("""{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"x"}]}""");
        var events = Events(t,
        [
            Chunk("""{"role":"assistant","content":"I'll "}"""), Chunk("""{"content":"check."}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"""),
            Chunk("{}", "tool_calls"), Usage(30, 12), Done,
        ]);
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.All(events, e => Assert.Equal(e.Name, (string?)e.Data["type"]));
        var start = events[0].Data["message"]!;
        Assert.Equal("assistant", (string?)start["role"]);
        Assert.Empty(start["content"]!.AsArray());
        SameJson("""{"type":"text","text":""}""", Utf8(Text(events[1].Data["content_block"])));
        SameJson("""{"type":"text_delta","text":"I'll "}""", Utf8(Text(events[2].Data["delta"])));
        SameJson("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}""", Utf8(Text(events[5].Data["content_block"])));
        Assert.Equal(1, (int)events[5].Data["index"]!);
        SameJson("""{"type":"input_json_delta","partial_json":"{\"city\":"}""", Utf8(Text(events[6].Data["delta"])));
        Assert.Equal("tool_use", (string?)events[9].Data["delta"]!["stop_reason"]);
        Assert.Equal(12, (int)events[9].Data["usage"]!["output_tokens"]!);
        Assert.Equal(30, (int)events[9].Data["usage"]!["input_tokens"]!);
    }

    [Fact]
    public void Stream_CutOff_EndsWithAnErrorEvent()
    {
        var t = Read("""{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"x"}]}""");
        var events = Events(t, [Chunk("""{"content":"Once"}""")], fail: true);
        Assert.Equal("error", events[^1].Name);
        SameJson("""{"type":"error","error":{"type":"api_error","message":"cut off"}}""", Utf8(Text(events[^1].Data)));
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
    }

    [Fact]
    public void Errors_TakeAnthropicsShape_TypeByStatus()
    {
        var t = Read("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}""");
        SameJson("""{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""",
            t.SellerError(429, Utf8("""{"error":{"message":"slow down","type":"rate_limit_error"}}""")));
        Assert.Equal("authentication_error", AnthropicError.TypeOf(401));
        Assert.Equal("billing_error", AnthropicError.TypeOf(402));
        Assert.Equal("permission_error", AnthropicError.TypeOf(451));
        Assert.Equal("not_found_error", AnthropicError.TypeOf(404));
        Assert.Equal("request_too_large", AnthropicError.TypeOf(413));
        Assert.Equal("api_error", AnthropicError.TypeOf(502));
        Assert.Equal("overloaded_error", AnthropicError.TypeOf(529));
    }

    [Fact]
    public void MalformedToolArguments_AreKeptWhole()
    {
        var t = Read("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}""");
        var r = Json(t.Answer(Utf8("""{"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}}]}""")));
        SameJson("""[{"type":"tool_use","id":"c","name":"f","input":{"arguments":"{oops"}}]""", Utf8(Text(r["content"])));
    }
}
