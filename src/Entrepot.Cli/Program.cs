using System.CommandLine;
using Entrepot.Cli;
using Entrepot.Cli.Commands;

// Socket completions run inline on the I/O thread instead of hopping to the thread pool: on two
// cores this halves the exchange's CPU per request (see docs/PERFORMANCE.md). Read by the runtime
// when the first socket is created, so it is set before anything else.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var verbose = new Option<bool>("--verbose") { Description = "When a command fails, show the whole error with its stack trace.", Recursive = true };
var root = new RootCommand("Entrepot: a self-hostable exchange for cross-border AI inference.")
{
    ExchangeCommand.Create(),
    ExporterCommand.Create(),
    DemoCommand.Create(),
    ScanCommand.Create(),
    PolicyCommand.Create(),
    ReceiptCommand.Create(),
    LedgerCommand.Create(),
    ReportCommand.Create(),
    TlsCommand.Create(),
    NetworkCommand.Create(),
};
root.Options.Add(verbose);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line per problem and where to read the usage, not the whole help text.
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine("entrepot: " + error.Message);
    }

    var command = string.Join(' ', CommandPath(parsed.CommandResult));
    Console.Error.WriteLine($"entrepot: see 'entrepot {(command.Length > 0 ? command + " " : "")}--help'.");
    return ExitCodes.CannotRun;
}

try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    return CliFailure.Report(e, parsed.GetValue(verbose), Console.Error);
}

static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
{
    var names = new Stack<string>();
    for (var r = result; r?.Parent is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
    {
        names.Push(r.Command.Name);
    }

    return names;
}
