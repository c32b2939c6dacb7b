// pxehub: the boot media hand-over under wimboot (WinPE, run by winpeshl.ini
// through cscript; the boot image needs WinPE-Scripting, which ConfigMgr's
// boot images carry).  See docs/plugins/sccm_sql.md, "The hand-over to
// WinPE", for what this is based on and what is not proven.
//
// 1. wimboot put pxehub's injected files in X:\Windows\System32; the task
//    sequence reads a boot media's files from its config path, X:\sms\data\
//    ("Loading Media Variables from X:\sms\data\variables.dat").
// 2. Booted by wimboot, the start options may name a disk
//    (MULTI(0)DISK(0)RDISK(0)PARTITION(1)...) that WinPE cannot see; they
//    are made to name the RAM disk so that the boot shell takes X:\ as the
//    media.
// 3. The boot shell starts as it would from ConfigMgr's own winpeshl.ini.
var shell = WScript.CreateObject("WScript.Shell");
var fso = WScript.CreateObject("Scripting.FileSystemObject");
var drive = shell.ExpandEnvironmentStrings("%SYSTEMDRIVE%");
var from = shell.ExpandEnvironmentStrings("%SYSTEMROOT%") + "\\System32\\";
var to = drive + "\\sms\\data\\";
var names = ["TsmBootstrap.ini", "Variables.dat"];
var key = "HKLM\\System\\CurrentControlSet\\Control\\SystemStartOptions";
var disk = /MULTI\(\d+\)DISK\(\d+\)RDISK\(\d+\)PARTITION\(\d+\)/gi;

if (!fso.FolderExists(drive + "\\sms"))
	fso.CreateFolder(drive + "\\sms");
if (!fso.FolderExists(to))
	fso.CreateFolder(to);
for (var i = 0; i < names.length; i++)
	fso.CopyFile(from + names[i], to + names[i], true);

var opts = shell.RegRead(key);
if (disk.test(opts))
	shell.RegWrite(key, opts.replace(disk, "ramdisk(0)"), "REG_SZ");

var bin = shell.ExpandEnvironmentStrings("%PROCESSOR_ARCHITECTURE%") == "x86" ? "i386" : "x64";
WScript.Quit(shell.Run("\"" + drive + "\\sms\\bin\\" + bin + "\\TsBootShell.exe\"", 1, true));
