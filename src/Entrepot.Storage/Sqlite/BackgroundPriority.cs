using System.Runtime.InteropServices;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Lets a background writer thread run only on CPU time no request wants (Linux <c>SCHED_IDLE</c>),
/// and raises it back to the normal policy when its work piles up. On two cores a writer's commit
/// burst at normal priority is not preempted by a woken request thread, which then waits: at one
/// connection that put the p90 latency at about 600 µs; an idle-class writer halves it (see
/// docs/PERFORMANCE.md).
/// <para>
/// Opt-in (<c>ENTREPOT_WRITER_PRIORITY=idle</c>), because it has a price on CPUs saturated by other
/// work: a killed or stopping exchange exits only when its idle-class threads get CPU to run their
/// exit, which kept a killed process (and its port) alive past the next start in a test, and a
/// garbage collection waits for such a thread to reach a safe point.
/// </para>
/// <para>
/// Going back from <c>SCHED_IDLE</c> to the normal policy needs <c>CAP_SYS_NICE</c> or a
/// <c>RLIMIT_NICE</c> of 20 (root on a plain host has the first; a default container and an ordinary
/// user have neither). A thread that could be lowered but never raised would starve under load, so
/// the way back is tried first on a throwaway thread, and where it fails writers keep the normal
/// policy even when asked for the idle class.
/// </para>
/// </summary>
internal static partial class BackgroundPriority
{
    private const int SchedOther = 0;
    private const int SchedIdle = 5;

    // Probed on first use only: an exchange that does not ask for idle-class writers never starts
    // the probe thread.
    private static readonly Lazy<bool> Probed = new(Probe);

    /// <summary>True where a thread can be lowered and raised again.</summary>
    public static bool Available => Probed.Value;

    /// <summary>Whether the operator asked for idle-class writers (<c>ENTREPOT_WRITER_PRIORITY=idle</c>).</summary>
    public static bool Requested { get; } =
        string.Equals(Environment.GetEnvironmentVariable("ENTREPOT_WRITER_PRIORITY"), "idle", StringComparison.OrdinalIgnoreCase);

    /// <summary>The calling thread's kernel id, or 0 where there is none to use.</summary>
    public static int CurrentThreadId() => Available ? gettid() : 0;

    /// <summary>Puts a thread in the idle class: it runs when a CPU has nothing else to do.</summary>
    public static bool Lower(int tid) => tid != 0 && Set(tid, SchedIdle);

    /// <summary>Gives a thread the normal policy back.</summary>
    public static bool Raise(int tid) => tid != 0 && Set(tid, SchedOther);

    private static bool Set(int tid, int policy)
    {
        var param = 0; // sched_priority: must be 0 for both policies
        return sched_setscheduler(tid, policy, ref param) == 0;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var works = false;
        var probe = new Thread(() =>
        {
            try
            {
                var tid = gettid();
                works = Set(tid, SchedIdle) && Set(tid, SchedOther);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without gettid (before glibc 2.30) or not glibc at all: keep the normal policy.
            }
        })
        { IsBackground = true, Name = "entrepot priority probe" };
        probe.Start();
        probe.Join();
        return works;
    }

    /// <summary>
    /// Gives the calling thread nice 19, the normal policy's lowest weight: a woken thread of normal
    /// nice preempts it at once, and lowering one's own nice level needs no capability (nor does
    /// anything have to raise it again). Returns the thread's kernel id, or 0 where that could not be
    /// done (not Linux, or a libc without <c>gettid</c>).
    /// </summary>
    public static int LowestNiceForCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            var tid = gettid();
            return setpriority(PrioProcess, tid, 19) == 0 ? tid : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    private const int PrioProcess = 0;

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc")]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int sched_setscheduler(int pid, int policy, ref int param);
}
