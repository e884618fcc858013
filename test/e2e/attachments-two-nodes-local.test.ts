import { describeTwoNodes, sharedFolderStore } from './attachments-two-nodes.ts';

// FILESYSTEM_DISK=local on one folder (as an NFS mount shares it): the second node runs from a
// project folder of its own whose STORAGE_PATH is the first one's.
describeTwoNodes('sharing a local folder (FILESYSTEM_DISK=local, one STORAGE_PATH)', sharedFolderStore);
